// known_hosts entries for the servers firstboot makes. Lines for the same address are replaced,
// hashed ones (HashKnownHosts) included: a new server often gets an address an old one had.
import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { rewrite } from './local-file';

export const defaultKnownHosts = () => join(homedir(), '.ssh', 'known_hosts');

/** How ssh writes a host: bare on port 22, `[host]:port` otherwise. */
export function knownHostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** The host's key, in place of those it had; `alongside` keeps them (while a server changes its key). */
export async function addKnownHost(
  path: string,
  host: string,
  port: number,
  publicKey: string,
  options: { alongside?: boolean } = {},
): Promise<void> {
  await addKnownKey(path, knownHostName(host, port), publicKey, options);
}

/**
 * The same for a known_hosts name as it stands (a HostKeyAlias, or "[host]:port"); `comment` after the
 * key, which ssh ignores (CARRIED marks a key the user-data carries).
 */
export async function addKnownKey(
  path: string,
  name: string,
  publicKey: string,
  { alongside = false, comment = '' } = {},
): Promise<void> {
  const [type, blob] = publicKey.trim().split(/\s+/);
  const line = [name, type, blob, comment].filter(Boolean).join(' ');
  await rewrite(path, (text) => `${alongside ? text : withoutHost(text, name)}${line}\n`);
}

/** The lines known_hosts has for `name`, hashed entries included. */
export async function knownLines(path: string, name: string): Promise<string[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.split('\n').filter((line) => matches(line, name));
}

/** The keys ("TYPE BASE64") known_hosts has for `name`. */
export async function knownKeys(path: string, name: string): Promise<string[]> {
  return (await knownLines(path, name)).map((line) => {
    const fields = line.trim().split(/\s+/);
    // a marker (@cert-authority, @revoked) comes before the host names
    const at = fields[0].startsWith('@') ? 2 : 1;
    return fields.slice(at, at + 2).join(' ');
  });
}

/** `name`'s lines as they were (from knownLines), in place of those it has now. */
export async function restoreKnownLines(path: string, name: string, lines: string[]): Promise<void> {
  await rewrite(path, (text) => withoutHost(text, name) + lines.map((l) => `${l}\n`).join(''));
}

/**
 * Why `name` cannot be a known_hosts name and Host alias of its own, or undefined: known_hosts reads
 * commas, "*", "?", "!" and "[" as patterns, and ssh_config splits on spaces.
 */
export function aliasProblem(name: string): string | undefined {
  if (/^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/.test(name)) return undefined;
  return (
    `"${name}" cannot name a host for ssh: 1 to 253 letters, digits, ".", "_" and "-", a letter or digit ` +
    'at both ends'
  );
}

export async function removeKnownHost(path: string, host: string, port: number): Promise<void> {
  await rewrite(path, (text) => withoutHost(text, knownHostName(host, port)));
}

function withoutHost(text: string, name: string): string {
  const kept = text.split('\n').filter((line) => line !== '' && !matches(line, name));
  return kept.length ? `${kept.join('\n')}\n` : '';
}

function matches(line: string, name: string): boolean {
  const hosts = line.trim().startsWith('@') ? line.trim().split(/\s+/)[1] : line.trim().split(/\s+/)[0];
  if (!hosts || line.trim().startsWith('#')) return false;
  if (hosts.startsWith('|1|')) {
    const [, , salt, hash] = hosts.split('|');
    return (
      createHmac('sha1', Buffer.from(salt ?? '', 'base64'))
        .update(name)
        .digest('base64') === hash
    );
  }
  return hosts.split(',').includes(name);
}
