// The fingerprints of the primary keys in an OpenPGP key file (binary, as apt's signed-by reads it), so a
// repository's signing key is checked against the fingerprint firstboot pins before apt trusts it.
// RFC 9580: a v4 fingerprint is SHA-1 over 0x99, a two-byte length and the key packet's body; v6 is
// SHA-256 over 0x9b and a four-byte length.
import { createHash } from 'node:crypto';

const PUBLIC_KEY = 6;

interface Packet {
  tag: number;
  body: Uint8Array;
}

function* packets(data: Uint8Array): Generator<Packet> {
  const at = (i: number) => {
    if (i >= data.length) throw new Error('the key file ends inside a packet');
    return data[i];
  };
  for (let i = 0; i < data.length; ) {
    const first = at(i);
    if (!(first & 0x80)) throw new Error('not an OpenPGP key file (binary, not armored)');
    let tag: number;
    let length: number;
    let header: number;
    if (first & 0x40) {
      tag = first & 0x3f;
      const o = at(i + 1);
      if (o < 192) [length, header] = [o, 2];
      else if (o < 224) [length, header] = [((o - 192) << 8) + at(i + 2) + 192, 3];
      else if (o === 255)
        [length, header] = [((at(i + 2) << 24) >>> 0) + (at(i + 3) << 16) + (at(i + 4) << 8) + at(i + 5), 6];
      else throw new Error('a key file has no partial-length packets');
    } else {
      tag = (first >> 2) & 0x0f;
      const size = [1, 2, 4][first & 3];
      if (size === undefined) throw new Error('a key file has no packets of indeterminate length');
      length = 0;
      for (let k = 1; k <= size; k++) length = length * 256 + at(i + k);
      header = 1 + size;
    }
    if (i + header + length > data.length) throw new Error('the key file ends inside a packet');
    yield { tag, body: data.subarray(i + header, i + header + length) };
    i += header + length;
  }
}

function fingerprint(body: Uint8Array): string {
  const v6 = body[0] === 6;
  const prefix = v6
    ? [0x9b, body.length >>> 24, (body.length >> 16) & 0xff, (body.length >> 8) & 0xff, body.length & 0xff]
    : [0x99, body.length >> 8, body.length & 0xff];
  if (body[0] !== 4 && !v6) throw new Error(`a version ${body[0]} key: only v4 and v6 keys are known`);
  return createHash(v6 ? 'sha256' : 'sha1')
    .update(Uint8Array.from(prefix))
    .update(body)
    .digest('hex')
    .toUpperCase();
}

/** The fingerprint of each primary key in the file (uppercase hex); throws on what is not a key file. */
export function primaryFingerprints(data: Uint8Array): string[] {
  return [...packets(data)].filter((p) => p.tag === PUBLIC_KEY).map((p) => fingerprint(p.body));
}
