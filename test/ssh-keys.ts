// Test keys that cost what real ones cost in a config.
import { randomBytes } from 'node:crypto';

/** An RSA-4096 public key nobody holds the private half of: a random modulus, which nothing compresses away. */
export function rsaPublicKey(comment: string): string {
  const field = (data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    return Buffer.concat([length, data]);
  };
  const modulus = Buffer.concat([Buffer.from([0, 0xc0]), randomBytes(511)]);
  const blob = Buffer.concat([field(Buffer.from('ssh-rsa')), field(Buffer.from([1, 0, 1])), field(modulus)]);
  return `ssh-rsa ${blob.toString('base64')} ${comment}`;
}
