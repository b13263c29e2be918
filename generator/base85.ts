// Base85 (ZeroMQ's Z85 alphabet) for the payload: 25% larger than its bytes where base64 is 33%, and
// no character YAML or the shell quoting in cloud-init/prepare has to escape. prepare decodes it.
import { Fail } from '../contract/fail';
export const Z85 = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';

/** "<byte length>\n<text>"; the bytes are zero-padded to a multiple of four, the length undoes that. */
export function encode85(bytes: Uint8Array): string {
  const padded = Buffer.alloc(Math.ceil(bytes.length / 4) * 4);
  padded.set(bytes);
  let text = '';
  for (let i = 0; i < padded.length; i += 4) {
    let value = padded.readUInt32BE(i);
    let block = '';
    for (let k = 0; k < 5; k++, value = Math.floor(value / 85)) block = Z85[value % 85] + block;
    text += block;
  }
  return `${bytes.length}\n${text}`;
}

/** Why an encoded block cannot be decoded; `short` when it is a good start of one, cut off. */
export class Decode85Error extends Fail {
  constructor(
    message: string,
    readonly short = false,
  ) {
    super(message, 2);
  }
}

export function decode85(encoded: string): Buffer {
  const [length, text = '', ...more] = encoded.split('\n');
  if (!/^\d+$/.test(length) || more.length)
    throw new Decode85Error('it is not "LENGTH", a line break and one line of base85');
  // the first line announces the bytes, so a block that ends early is told from one that was altered
  const want = Math.ceil(Number(length) / 4) * 5;
  const odd = [...text].findIndex((c) => !Z85.includes(c));
  if (odd >= 0) throw new Decode85Error(`character ${odd + 1} of its base85 line is not base85`);
  if (text.length < want)
    throw new Decode85Error(`it holds ${text.length} of the ${want} characters its first line announces`, true);
  if (text.length > want)
    throw new Decode85Error(`it holds ${text.length} characters, more than the ${want} its first line announces`);
  const out = Buffer.alloc((text.length / 5) * 4);
  for (let i = 0, j = 0; i < text.length; i += 5, j += 4) {
    let value = 0;
    for (let k = 0; k < 5; k++) value = value * 85 + Z85.indexOf(text[i + k]);
    if (value > 0xffffffff)
      throw new Decode85Error(`characters ${i + 1} to ${i + 5} of its base85 line do not encode four bytes`);
    out.writeUInt32BE(value, j);
  }
  return out.subarray(0, Number(length));
}
