// `firstboot pieces --out DIR`: every file of the build's dist/payload/ in one gzip'd tar, laid out as
// in the published package (package/dist/payload/...), so the server reads a URL source exactly as it
// reads npm's tarball. Same build, same bytes: no times, owners or modes but fixed ones.
import { gzipSync } from 'node:zlib';
import { PIECES_FOLDER, piecesFile } from '../contract/pieces';
import { payloadDigest, type Payload } from './pack';

/** a ustar header field: octal, NUL-terminated, as wide as the field */
const octal = (value: number, width: number) => value.toString(8).padStart(width - 1, '0') + '\0';

function header(name: string, size: number): Buffer {
  if (Buffer.byteLength(name) > 100) throw new Error(`${name} is too long for a tar header`);
  const block = Buffer.alloc(512);
  block.write(name, 0);
  block.write(octal(0o644, 8), 100);
  block.write(octal(0, 8), 108);
  block.write(octal(0, 8), 116);
  block.write(octal(size, 12), 124);
  block.write(octal(0, 12), 136);
  block.write(' '.repeat(8), 148);
  block.write('0', 156);
  block.write('ustar\u000000', 257);
  const sum = block.reduce((total, byte) => total + byte, 0);
  block.write(octal(sum, 7) + ' ', 148);
  return block;
}

/** The file's name (version and digest in it) and its bytes. */
export function piecesTarball(payload: Payload, version: string): { name: string; digest: string; data: Buffer } {
  const digest = payloadDigest(payload);
  const blocks: Buffer[] = [];
  for (const name of Object.keys(payload.files).sort()) {
    const data = Buffer.from(payload.files[name]);
    blocks.push(
      header(`package/${PIECES_FOLDER}/${name}`, data.length),
      data,
      Buffer.alloc((512 - (data.length % 512)) % 512),
    );
  }
  blocks.push(Buffer.alloc(1024));
  return { name: piecesFile(version, digest), digest, data: gzipSync(Buffer.concat(blocks), { level: 9 }) };
}
