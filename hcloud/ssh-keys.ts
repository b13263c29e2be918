// The admin's public keys as Hetzner SSH keys: reused when one with the same fingerprint exists,
// uploaded otherwise. Passing keys at creation also stops Hetzner from mailing a root password.
import { createHash } from 'node:crypto';
import type { HcloudClient } from './api/client';
import type { SshKey } from './api/types';

/** Hetzner's fingerprint: MD5 of the key blob as colon-separated hex. */
export function md5Fingerprint(publicKey: string): string {
  const blob = publicKey.trim().split(/\s+/)[1];
  if (!blob) throw new Error('not an OpenSSH public key line');
  return createHash('md5').update(Buffer.from(blob, 'base64')).digest('hex').match(/../g)!.join(':');
}

export interface EnsuredKeys {
  keys: SshKey[];
  /** The ones this call uploaded, to remove again if what needed them fails. */
  uploaded: SshKey[];
}

export async function ensureSshKeys(
  client: HcloudClient,
  publicKeys: string[],
  report: (m: string) => void,
): Promise<EnsuredKeys> {
  const result: EnsuredKeys = { keys: [], uploaded: [] };
  for (const publicKey of publicKeys) {
    const fingerprint = md5Fingerprint(publicKey);
    const [existing] = await client.sshKeys.list({ fingerprint });
    if (existing) {
      report(`using SSH key "${existing.name}" (${fingerprint})`);
      result.keys.push(existing);
      continue;
    }
    // Named by fingerprint, so two different keys never collide on the name.
    const name = `firstboot-${fingerprint.replace(/:/g, '').slice(0, 16)}`;
    const created = await client.sshKeys.create({
      name,
      public_key: publicKey,
      labels: { 'firstboot-managed': 'true' },
    });
    report(`uploaded SSH key "${name}" (${fingerprint})`);
    result.keys.push(created);
    result.uploaded.push(created);
  }
  return result;
}
