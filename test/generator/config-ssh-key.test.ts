import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseSshPublicKey } from '../../generator/config/ssh-key';

// Key lines built from fresh keys in the OpenSSH wire format (RFC 4253 §6.6), so every type and every
// kind of damage can be made without ssh-keygen or a FIDO token.
const str = (b: Buffer | string) => {
  const data = typeof b === 'string' ? Buffer.from(b) : b;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  return Buffer.concat([len, data]);
};
const mpint = (b: Buffer) => str(b[0] & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
const line = (type: string, ...parts: Buffer[]) => `${type} ${Buffer.concat(parts).toString('base64')} me@laptop`;
const b64u = (s: string) => Buffer.from(s, 'base64url');

function ed25519(): Buffer {
  return b64u(generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x!);
}
function rsa(bits: number) {
  const jwk = generateKeyPairSync('rsa', { modulusLength: bits }).publicKey.export({ format: 'jwk' });
  return line('ssh-rsa', str('ssh-rsa'), mpint(b64u(jwk.e!)), mpint(b64u(jwk.n!)));
}
function ecdsa(curve: 'P-256' | 'P-384' | 'P-521', name: string) {
  const jwk = generateKeyPairSync('ec', { namedCurve: curve }).publicKey.export({ format: 'jwk' });
  const point = Buffer.concat([Buffer.from([4]), b64u(jwk.x!), b64u(jwk.y!)]);
  return line(`ecdsa-sha2-${name}`, str(`ecdsa-sha2-${name}`), str(name), str(point));
}

const good: [string, string, number][] = [
  ['ed25519', line('ssh-ed25519', str('ssh-ed25519'), str(ed25519())), 256],
  ['rsa 3072', rsa(3072), 3072],
  ['ecdsa p256', ecdsa('P-256', 'nistp256'), 256],
  ['ecdsa p384', ecdsa('P-384', 'nistp384'), 384],
  ['ecdsa p521', ecdsa('P-521', 'nistp521'), 521],
  [
    'sk ed25519',
    line('sk-ssh-ed25519@openssh.com', str('sk-ssh-ed25519@openssh.com'), str(ed25519()), str('ssh:')),
    256,
  ],
  [
    'sk ecdsa',
    (() => {
      const l = ecdsa('P-256', 'nistp256').split(' ')[1];
      const inner = Buffer.from(l, 'base64').subarray(4 + 19);
      const t = 'sk-ecdsa-sha2-nistp256@openssh.com';
      return line(t, str(t), inner, str('ssh:'));
    })(),
    256,
  ],
  ['the shipped demo key', readFileSync(new URL('../../examples/demo_ed25519.pub', import.meta.url), 'utf8'), 256],
];

for (const [name, text, bits] of good) {
  test(`accepts ${name}`, () => {
    const got = parseSshPublicKey(text);
    assert.ok(got.ok, got.ok ? '' : got.message);
    if (got.ok) {
      assert.is(got.key.bits, bits);
      assert.is(got.key.line, text.trim());
      assert.match(got.key.fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
    }
  });
}

test('keeps a comment with spaces and normalises whitespace', () => {
  const [type, data] = good[0][1].split(' ');
  const got = parseSshPublicKey(`  ${type}\t${data}   fx at laptop \n`);
  assert.ok(got.ok);
  if (got.ok) assert.is(got.key.line, `${type} ${data} fx at laptop`);
});

test('the fingerprint is what ssh-keygen -l prints', () => {
  const got = parseSshPublicKey(good[good.length - 1][1]);
  assert.ok(got.ok);
  // ssh-keygen -lf examples/demo_ed25519.pub
  if (got.ok) assert.is(got.key.fingerprint, 'SHA256:U877PKMpxVtIxL62bTh1W7Yl5jrsqKyrES9MghVxDcw');
});

const edBlob = Buffer.concat([str('ssh-ed25519'), str(ed25519())]);
const bad: [string, string, RegExp][] = [
  ['empty', '  ', /is empty/],
  [
    'an openssh private key',
    '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----',
    /private key/,
  ],
  ['a pem private key', '-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----', /private key/],
  ['an RFC 4716 key', '---- BEGIN SSH2 PUBLIC KEY ----\nAAAA\n---- END SSH2 PUBLIC KEY ----', /ssh-keygen -i/],
  ['authorized_keys options', `from="10.0.0.1" ssh-ed25519 ${edBlob.toString('base64')}`, /options are not accepted/],
  ['an unknown type', `ssh-dss ${edBlob.toString('base64')}`, /unknown key type "ssh-dss"; known types: ssh-ed25519/],
  ['not a key at all', 'hello world', /is not an ssh public key/],
  ['no base64 part', 'ssh-ed25519', /no base64 part/],
  ['broken base64', 'ssh-ed25519 AAAA$$$=', /not valid base64/],
  ['cut short', `ssh-ed25519 ${edBlob.subarray(0, 30).toString('base64')}`, /ends too early/],
  [
    'declared type differs from the blob',
    `ssh-rsa ${edBlob.toString('base64')}`,
    /says ssh-rsa but the key data is "ssh-ed25519"/,
  ],
  [
    'ed25519 of the wrong length',
    line('ssh-ed25519', str('ssh-ed25519'), str(Buffer.alloc(31, 1))),
    /ed25519 key is 31 bytes, 32 expected/,
  ],
  [
    'rsa 1024',
    rsa(1024),
    /3072 bits at least \(sshd refuses shorter ones\), this one has 1024: make a new key with ssh-keygen -t ed25519/,
  ],
  // sshd gets RequiredRSASize 3072: a 2048-bit key would be a way in on paper only (a lockout)
  ['rsa 2048', rsa(2048), /3072 bits at least \(sshd refuses shorter ones\), this one has 2048/],
  [
    'trailing bytes',
    `ssh-ed25519 ${Buffer.concat([edBlob, Buffer.from([1, 2, 3, 4])]).toString('base64')}`,
    /bytes after the key/,
  ],
  [
    'ecdsa naming another curve',
    (() => {
      const data = Buffer.from(ecdsa('P-256', 'nistp256').split(' ')[1], 'base64');
      const spliced = Buffer.concat([str('ecdsa-sha2-nistp384'), data.subarray(4 + 19)]);
      return `ecdsa-sha2-nistp384 ${spliced.toString('base64')}`;
    })(),
    /names curve "nistp256"/,
  ],
];

for (const [name, text, message] of bad) {
  test(`refuses ${name}`, () => {
    const got = parseSshPublicKey(text);
    assert.not.ok(got.ok);
    if (!got.ok) assert.match(got.message, message);
  });
}

test.run();
