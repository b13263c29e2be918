// The server's ed25519 host key, made here so the client can trust it before the server boots.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

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
