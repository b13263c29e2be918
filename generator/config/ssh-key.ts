// OpenSSH public key lines, parsed rather than matched by prefix: a key cut short when pasted, or a
// line whose declared type disagrees with its data, would otherwise reach the server and lock the
// admin out with no error until the first login.
import { createHash } from 'node:crypto';
import { KEY_TYPES } from '../../contract/ssh-key-types';
import { sshKey as msg } from './messages';

export type KeyType = (typeof KEY_TYPES)[number];

/**
 * RSA keys below this are refused: sshd gets it as RequiredRSASize (capabilities/ssh.ts), so a shorter
 * key would be the admin's way in on paper only.
 */
export const MIN_RSA_BITS = 3072;

export interface SshPublicKey {
  type: KeyType;
  /** the decoded key data */
  blob: Buffer;
  comment: string;
  /** RSA modulus size, or the curve size */
  bits: number;
  /** `SHA256:...` as ssh-keygen -l prints it */
  fingerprint: string;
  /** the authorized_keys line: type, base64, comment; whitespace normalised */
  line: string;
}

export type KeyResult = { ok: true; key: SshPublicKey } | { ok: false; message: string };

const EC_POINT_BYTES: Record<string, number> = { nistp256: 65, nistp384: 97, nistp521: 133 };

export function isPrivateKey(text: string): boolean {
  return /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(text) || /^PuTTY-User-Key-File-/m.test(text);
}

// a PEM or OpenSSH private key block, whole or cut off; as written, or JSON-quoted (its line breaks "\\n")
const PRIVATE_BLOCK =
  /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)|PuTTY-User-Key-File-[\s\S]*/g;

/** The text with every private key in it replaced by a note: what a diagnostic may print. */
export function hidePrivateKeys(text: string): string {
  return text.replace(PRIVATE_BLOCK, '(a private key, not shown)');
}

/** Does this text look like a key line rather than a file path? (Used for --ssh-key.) */
export function looksLikeKey(text: string): boolean {
  return /^\s*(ssh-|ecdsa-|sk-)\S+\s+\S/.test(text) || isPrivateKey(text);
}

export function parseSshPublicKey(text: string): KeyResult {
  const fail = (message: string): KeyResult => ({ ok: false, message });
  const trimmed = text.trim();
  if (trimmed === '') return fail(msg.empty);
  if (isPrivateKey(trimmed)) return fail(msg.privateKey);
  if (trimmed.startsWith('---- BEGIN SSH2 PUBLIC KEY')) return fail(msg.rfc4716);
  const [type, data, ...rest] = trimmed.split(/\s+/);
  if (!(KEY_TYPES as readonly string[]).includes(type)) {
    if (/^(ssh-|ecdsa-|sk-)/.test(type)) return fail(msg.unknownType(type, KEY_TYPES));
    if (data !== undefined && (KEY_TYPES as readonly string[]).includes(data)) return fail(msg.withOptions);
    if (/^[\w-]+=|^(no-|restrict|cert-authority)/.test(type)) return fail(msg.withOptions);
    return fail(msg.notAKey(trimmed.length > 24 ? `${trimmed.slice(0, 24)}...` : trimmed));
  }
  if (data === undefined) return fail(msg.missingBlob(type));
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(data) || data.length % 4 !== 0) return fail(msg.badBase64);
  const blob = Buffer.from(data, 'base64');
  const problem = checkBlob(type as KeyType, blob);
  if (typeof problem === 'string') return fail(problem);
  const comment = rest.join(' ');
  return {
    ok: true,
    key: {
      type: type as KeyType,
      blob,
      comment,
      bits: problem.bits,
      fingerprint: 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, ''),
      line: [type, data, comment].filter(Boolean).join(' '),
    },
  };
}

/** Reads the wire format (RFC 4253 §6.6): a sequence of uint32-length-prefixed strings. */
function checkBlob(type: KeyType, blob: Buffer): string | { bits: number } {
  let at = 0;
  const next = (): Buffer | undefined => {
    if (at + 4 > blob.length) return undefined;
    const length = blob.readUInt32BE(at);
    if (at + 4 + length > blob.length) return undefined;
    const out = blob.subarray(at + 4, at + 4 + length);
    at += 4 + length;
    return out;
  };
  const inner = next();
  if (inner === undefined) return msg.truncated;
  if (inner.toString('latin1') !== type) return msg.typeMismatch(type, inner.toString('latin1').slice(0, 40));

  let bits: number;
  if (type === 'ssh-ed25519' || type === 'sk-ssh-ed25519@openssh.com') {
    const key = next();
    if (key === undefined) return msg.truncated;
    if (key.length !== 32) return msg.badLength('ed25519 key', key.length, '32');
    bits = 256;
  } else if (type === 'ssh-rsa') {
    const e = next();
    const n = next();
    if (e === undefined || n === undefined) return msg.truncated;
    bits = bitLength(n);
    if (bits < MIN_RSA_BITS) return msg.rsaTooShort(bits, MIN_RSA_BITS);
  } else {
    const curve = next();
    const point = next();
    if (curve === undefined || point === undefined) return msg.truncated;
    const name = curve.toString('latin1');
    if (!type.includes(`-${name}`)) return msg.curveMismatch(type, name);
    const want = EC_POINT_BYTES[name];
    if (point.length !== want || point[0] !== 0x04)
      return msg.badLength('curve point', point.length, `${want}, uncompressed,`);
    bits = Number(name.slice('nistp'.length));
  }
  if (type.startsWith('sk-') && next() === undefined) return msg.truncated; // the FIDO application string
  if (at !== blob.length) return msg.trailing;
  return { bits };
}

function bitLength(mpint: Buffer): number {
  let i = 0;
  while (i < mpint.length && mpint[i] === 0) i++;
  if (i === mpint.length) return 0;
  return (mpint.length - i - 1) * 8 + (32 - Math.clz32(mpint[i]));
}
