// Reads an npm tarball (gzip'd ustar) into memory. The whole archive is parsed and checked before the
// caller writes anything, so a bad entry anywhere means nothing lands on disk.
import { gunzipSync } from 'node:zlib';

export interface TarEntry {
  /** relative to the package folder: the first component ('package/' in npm tarballs) is stripped */
  path: string;
  type: 'file' | 'dir';
  /** the entry's mode has an x bit */
  executable: boolean;
  data: Buffer;
}

const REFUSED: Record<string, string> = {
  '1': 'hard link',
  '2': 'symlink',
  '3': 'character device',
  '4': 'block device',
  '6': 'fifo',
};

/** a NUL-terminated string field */
function text(block: Buffer, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const end = field.indexOf(0);
  return field.toString('utf8', 0, end < 0 ? length : end);
}

function octal(block: Buffer, start: number, length: number): number {
  const digits = text(block, start, length).trim();
  if (!/^[0-7]+$/.test(digits)) throw new Error(`corrupt tarball: bad number field '${digits}'`);
  return parseInt(digits, 8);
}

/** pax extended header records are "<length> <key>=<value>\n", length in bytes and counting itself */
function paxPath(data: Buffer): string | undefined {
  let path: string | undefined;
  for (let at = 0; at < data.length; ) {
    const space = data.indexOf(0x20, at);
    const length = Number(data.toString('latin1', at, space));
    if (space < 0 || !(length > 0) || at + length > data.length) throw new Error('corrupt tarball: bad pax header');
    const record = data.toString('utf8', space + 1, at + length - 1);
    if (record.startsWith('path=')) path = record.slice('path='.length);
    at += length;
  }
  return path;
}

function strip(name: string): string {
  const parts = name.split('/').filter((part) => part && part !== '.');
  if (name.startsWith('/')) throw new Error(`unsafe tarball entry ${name} (absolute path)`);
  if (parts.includes('..')) throw new Error(`unsafe tarball entry ${name} (parent folder)`);
  return parts.slice(1).join('/');
}

export function readTar(tgz: Buffer): TarEntry[] {
  let tar: Buffer;
  try {
    tar = gunzipSync(tgz);
  } catch (err) {
    throw new Error(`corrupt tarball: ${(err as Error).message}`);
  }
  const entries: TarEntry[] = [];
  let nextName: string | undefined;
  for (let at = 0; ; ) {
    const header = tar.subarray(at, at + 512);
    if (header.length < 512) throw new Error('corrupt tarball: truncated');
    if (header.every((byte) => byte === 0)) return entries;
    // the checksum is computed with its own field read as spaces
    const sum = header.reduce((total, byte, i) => total + (i >= 148 && i < 156 ? 0x20 : byte), 0);
    if (sum !== octal(header, 148, 8)) throw new Error(`corrupt tarball: bad header checksum at byte ${at}`);
    const size = octal(header, 124, 12);
    const data = tar.subarray(at + 512, at + 512 + size);
    if (data.length < size) throw new Error('corrupt tarball: truncated');
    at += 512 + Math.ceil(size / 512) * 512;

    const type = String.fromCharCode(header[156]);
    if (type === 'g') continue;
    if (type === 'x' || type === 'L') {
      nextName = type === 'x' ? (paxPath(data) ?? nextName) : text(data, 0, data.length);
      continue;
    }
    // only POSIX ustar has a prefix field; old GNU tar keeps other data there
    const prefix = header.toString('latin1', 257, 263) === 'ustar\0' ? text(header, 345, 155) : '';
    const name = nextName ?? (prefix ? `${prefix}/` : '') + text(header, 0, 100);
    nextName = undefined;
    if (type !== '0' && type !== '\0' && type !== '5')
      throw new Error(`unsafe tarball entry ${name} (${REFUSED[type] ?? `type '${type}'`})`);
    const path = strip(name);
    if (!path) continue;
    entries.push({
      path,
      type: type === '5' ? 'dir' : 'file',
      executable: (octal(header, 100, 8) & 0o111) !== 0,
      data,
    });
  }
}
