// The `Host NAME` block firstboot keeps in ~/.ssh/config, between marker comments so it can be
// found and replaced without touching anything the user wrote.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { rewrite } from './local-file';

export const defaultSshConfig = () => join(homedir(), '.ssh', 'config');

export interface HostEntry {
  name: string;
  hostName: string;
  user: string;
  port: number;
  /** the known_hosts name the host key is checked under (the name it was pinned under before the address was known) */
  hostKeyAlias?: string;
}

const begin = (name: string) => `# firstboot: ${name}`;
const end = (name: string) => `# end firstboot: ${name}`;

export function hostBlock(entry: HostEntry): string {
  return [
    `${begin(entry.name)} (firstboot delete removes this block)`,
    `Host ${entry.name}`,
    `  HostName ${entry.hostName}`,
    `  User ${entry.user}`,
    ...(entry.port === 22 ? [] : [`  Port ${entry.port}`]),
    ...(entry.hostKeyAlias ? [`  HostKeyAlias ${entry.hostKeyAlias}`] : []),
    // The host key is in known_hosts before the first connection: anything else is an impostor.
    '  StrictHostKeyChecking yes',
    end(entry.name),
    '',
  ].join('\n');
}

/** Appended (so the user's own global settings above keep applying), replacing an old block. */
export async function writeHostBlock(path: string, entry: HostEntry): Promise<void> {
  await rewrite(path, (text) => {
    const rest = withoutBlock(text, entry.name).text;
    return (
      (rest === '' || rest.endsWith('\n\n') ? rest : rest.endsWith('\n') ? `${rest}\n` : `${rest}\n\n`) +
      hostBlock(entry)
    );
  });
}

/**
 * Where `ssh NAME` would go by the user's own settings (firstboot's block for NAME left out), when
 * they send it somewhere: a `Host` block of theirs above the one firstboot appends would win over it.
 */
export async function userRoute(path: string, name: string): Promise<string | undefined> {
  return (await ownSettings(path, name)).hostname;
}

/**
 * The host name, user and port the user's own config sets for `ssh NAME` (firstboot's block for NAME
 * left out), each only where it differs from ssh's defaults. ssh itself answers (`ssh -G`), so
 * Include, Match and patterns count as they do for ssh.
 */
export async function ownSettings(
  path: string,
  name: string,
): Promise<{ hostname?: string; user?: string; port?: number }> {
  const text = withoutBlock(await readFile(path, 'utf8').catch(() => ''), name).text;
  if (!/^\s*(host|match|include|user|port|hostname)\s/im.test(text)) return {};
  const dir = await mkdtemp(join(tmpdir(), 'firstboot-ssh-config-'));
  try {
    await writeFile(join(dir, 'config'), text, { mode: 0o600 });
    // an ssh that cannot read the config would fail `ssh NAME` as well: nothing to tell from it
    const settings = async (config: string) => {
      const value = await sshSettings(['-F', config, '--', name]).catch(() => () => undefined);
      return { hostname: value('hostname'), user: value('user'), port: value('port') };
    };
    const [own, plain] = await Promise.all([settings(join(dir, 'config')), settings('/dev/null')]);
    return {
      ...(own.hostname && own.hostname.toLowerCase() !== name.toLowerCase() && { hostname: own.hostname }),
      ...(own.user && own.user !== plain.user && { user: own.user }),
      ...(own.port && own.port !== plain.port && { port: Number(own.port) }),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `ssh -G ARGS`: ssh's own answer to where and how it would connect, as a lookup of its settings. */
export async function sshSettings(args: string[]): Promise<(key: string) => string | undefined> {
  const { stdout } = await promisify(execFile)('ssh', ['-G', ...args]);
  return (key) => new RegExp(`^${key} (.*)$`, 'im').exec(stdout)?.[1];
}

/** Removes the block and says where it pointed, or undefined when there was none. */
export async function removeHostBlock(path: string, name: string): Promise<HostEntry | undefined> {
  let removed: HostEntry | undefined;
  await rewrite(path, (text) => {
    const result = withoutBlock(text, name);
    removed = result.removed;
    return result.text.replace(/\n{3,}$/, '\n\n');
  });
  return removed;
}

function withoutBlock(text: string, name: string): { text: string; removed?: HostEntry } {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith(begin(name) + ' ') || l === begin(name));
  const stop = lines.indexOf(end(name), start);
  if (start < 0 || stop < 0) return { text };
  const block = lines.slice(start, stop + 1);
  const value = (key: string) => block.map((l) => new RegExp(`^\\s*${key}\\s+(\\S+)`, 'i').exec(l)?.[1]).find(Boolean);
  const removed = {
    name,
    hostName: value('HostName') ?? '',
    user: value('User') ?? '',
    port: Number(value('Port') ?? 22),
  };
  const after = lines.slice(stop + 1);
  if (after[0] === '') after.shift();
  return { text: [...lines.slice(0, start), ...after].join('\n'), removed };
}
