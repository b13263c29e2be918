// A tiny ustar writer, so tests can also craft entries no honest tar would write.
import { gzipSync } from 'node:zlib';

export interface Entry {
  name: string;
  body?: string | Buffer;
  type?: string;
  mode?: number;
  prefix?: string;
  link?: string;
}

function block(entry: Entry): Buffer {
  const body = Buffer.from(entry.body ?? '');
  const header = Buffer.alloc(512);
  const field = (value: string, at: number) => header.write(value, at, 'utf8');
  const number = (value: number, at: number, width: number) =>
    field(value.toString(8).padStart(width - 1, '0') + '\0', at);
  field(entry.name, 0);
  number(entry.mode ?? 0o644, 100, 8);
  number(0, 108, 8);
  number(0, 116, 8);
  number(body.length, 124, 12);
  number(0, 136, 12);
  field(entry.type ?? '0', 156);
  field(entry.link ?? '', 157);
  field('ustar\x0000', 257);
  field(entry.prefix ?? '', 345);
  header.fill(0x20, 148, 156);
  number(
    header.reduce((sum, byte) => sum + byte, 0),
    148,
    7,
  ); // 6 digits, NUL, and the space already there
  return Buffer.concat([header, body, Buffer.alloc((512 - (body.length % 512)) % 512)]);
}

export const tar = (...entries: Entry[]) => Buffer.concat([...entries.map(block), Buffer.alloc(1024)]);
export const tgz = (...entries: Entry[]) => gzipSync(tar(...entries));
