// The server's ed25519 host key, made here so the client can trust it before the server boots, and
// replaced once the client has used it, since the user-data that carried it stays readable by root.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { addKnownKey } from './known-hosts';
import { hostKey as reportedHostKey } from './reported';
import type { Login, RunRemote } from './run';
import type { Target } from './target';
import { Fail } from '../contract/fail';

/**
 * After the key in known_hosts: this key travels in the user-data (`generate --host-key`), and
 * `firstboot wait` replaces it once it has logged in with it.
 */
export const CARRIED = 'firstboot:user-data';

/** ssh's fingerprint of a public key ("TYPE BASE64"), as ssh-keygen -l prints it. */
export const fingerprint = (key: string) =>
  `SHA256:${createHash('sha256')
    .update(Buffer.from(key.split(' ')[1] ?? '', 'base64'))
    .digest('base64')
    .replace(/=+$/, '')}`;

export interface HostKeyPair {
  private: string;
  public: string;
}

export async function makeHostKey(comment: string): Promise<HostKeyPair> {
  // A private directory, removed at once: the private key lives on only in the user-data.
  const dir = await mkdtemp(join(tmpdir(), 'firstboot-hostkey-'));
  try {
    const file = join(dir, 'ssh_host_ed25519_key');
    await promisify(execFile)('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
    return { private: await readFile(file, 'utf8'), public: (await readFile(`${file}.pub`, 'utf8')).trim() };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * After the first login with the pinned key, the server makes a new one and drops the pinned one
 * (payload/host-key.ts); the client learns the new key over the connection the old one authenticated
 * and keeps both in known_hosts until the server has swapped, so `ssh NAME` never meets a key it does
 * not trust. `login`: the login that answers now (port 22 when sshd never moved). Returns the new
 * public key, proven by a login that trusts only it.
 */
export async function replaceHostKey(target: Target, login: Login, run: RunRemote): Promise<string> {
  const step = async (action: string) => {
    const sudo = login.user === 'root' ? '' : 'sudo -n ';
    const result = await run(login, `${sudo}firstboot host-key ${action}`);
    const key = result.stdout.trim();
    if (result.code !== 0)
      throw new Error(
        `replacing the host key the user-data carried failed at "firstboot host-key ${action}" ` +
          `(exit ${result.code}): ${result.stderr.trim() || key}`,
      );
    // the one form known_hosts may take from the server (a bare key: no comment, no second line)
    if (key.includes(' ', key.indexOf(' ') + 1))
      throw new Fail(
        `the server answered "firstboot host-key ${action}" with more than a key; nothing was written to known_hosts`,
      );
    return reportedHostKey(key, ['ssh-ed25519']);
  };
  const next = await step('new');
  await addKnownKey(target.knownHosts, target.hostKeyAlias, next, { alongside: true });
  if ((await step('swap')) !== next)
    throw new Error('the server swapped in another host key than the one it announced');
  await addKnownKey(target.knownHosts, target.hostKeyAlias, next);
  if ((await step('show')) !== next) throw new Error('the server does not answer with its new host key');
  return next;
}
