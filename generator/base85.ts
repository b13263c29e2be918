// Base85 (ZeroMQ's Z85 alphabet) for the payload: 25% larger than its bytes where base64 is 33%, and
// no character YAML or the shell quoting in cloud-init/prepare has to escape. prepare decodes it.
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

export function decode85(encoded: string): Buffer {
  const [length, text] = encoded.split('\n');
  const out = Buffer.alloc((text.length / 5) * 4);
  for (let i = 0, j = 0; i < text.length; i += 5, j += 4) {
    let value = 0;
    for (let k = 0; k < 5; k++) value = value * 85 + Z85.indexOf(text[i + k]);
    out.writeUInt32BE(value, j);
  }
  return out.subarray(0, Number(length));
}
