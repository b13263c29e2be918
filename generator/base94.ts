// Base94 for the payload: ASCII's printable characters but space, nine bytes in eleven characters (22%
// larger than its bytes, where base85 is 25% and base64 33%). A YAML literal block takes every one of
// them as it is, and the file never meets a shell. prepare decodes it (cloud-init/unpack.js).
import { Fail } from '../contract/fail';

const FIRST = 33; // "!"; the digits are "!" to "~"
const BLOCK = { bytes: 9, chars: 11 }; // 94^11 > 2^72: eleven digits hold any nine bytes
const BIG = 94n;

/** "<byte length>\n<text>"; the bytes are zero-padded to a multiple of nine, the length undoes that. */
export function encode94(bytes: Uint8Array): string {
  const padded = Buffer.alloc(Math.ceil(bytes.length / BLOCK.bytes) * BLOCK.bytes);
  padded.set(bytes);
  const blocks: string[] = [];
  for (let i = 0; i < padded.length; i += BLOCK.bytes) {
    let value = BigInt(`0x${padded.subarray(i, i + BLOCK.bytes).toString('hex')}`);
    const digits: number[] = [];
    for (let k = 0; k < BLOCK.chars; k++, value /= BIG) digits.unshift(FIRST + Number(value % BIG));
    blocks.push(String.fromCharCode(...digits));
  }
  return `${bytes.length}\n${blocks.join('')}`;
}

/** Why an encoded block cannot be decoded; `short` when it is a good start of one, cut off. */
export class Decode94Error extends Fail {
  constructor(
    message: string,
    readonly short = false,
  ) {
    super(message, 2);
  }
}

export function decode94(encoded: string): Buffer {
  const [length, text = '', ...more] = encoded.split('\n');
  if (!/^\d+$/.test(length) || more.length)
    throw new Decode94Error('it is not "LENGTH", a line break and one line of base94');
  // the first line announces the bytes, so a block that ends early is told from one that was altered
  const want = Math.ceil(Number(length) / BLOCK.bytes) * BLOCK.chars;
  const odd = [...text].findIndex((c) => c < '!' || c > '~');
  if (odd >= 0) throw new Decode94Error(`character ${odd + 1} of its base94 line is not base94`);
  if (text.length < want)
    throw new Decode94Error(`it holds ${text.length} of the ${want} characters its first line announces`, true);
  if (text.length > want)
    throw new Decode94Error(`it holds ${text.length} characters, more than the ${want} its first line announces`);
  const out = Buffer.alloc((text.length / BLOCK.chars) * BLOCK.bytes);
  for (let i = 0, j = 0; i < text.length; i += BLOCK.chars, j += BLOCK.bytes) {
    let value = 0n;
    for (let k = 0; k < BLOCK.chars; k++) value = value * BIG + BigInt(text.charCodeAt(i + k) - FIRST);
    const hex = value.toString(16).padStart(BLOCK.bytes * 2, '0');
    if (hex.length > BLOCK.bytes * 2)
      throw new Decode94Error(
        `characters ${i + 1} to ${i + BLOCK.chars} of its base94 line do not encode ${BLOCK.bytes} bytes`,
      );
    out.write(hex, j, 'hex');
  }
  return out.subarray(0, Number(length));
}
