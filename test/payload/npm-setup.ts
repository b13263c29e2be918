// What the npm tests share: tarballs and their pins, a registry on loopback that answers as told, and a fresh
// root with a log and a sleep that only records; each is cleaned up after the test (cleanUp).
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetchPackages, type FetchOptions } from '../../payload/lib/npm';
import { tgz, type Entry } from '../fakes/tar';
import { httpServer, type Handler } from '../fakes/http';

export const sri = (data: Buffer) => `sha512-${createHash('sha512').update(data).digest('base64')}`;

/** a pax extended header naming the next entry; its length counts its own digits */
export function pax(path: string): Entry {
  const record = (length: number) => `${length} path=${path}\n`;
  let length = 0;
  while (Buffer.byteLength(record(length)) !== length) length = Buffer.byteLength(record(length));
  return { name: 'PaxHeader/x', type: 'x', body: record(length) };
}

// incompressible, so the tarball is big enough to be cut in the middle
export const BIG = randomBytes(64 * 1024);

export const ZX = tgz(
  { name: 'package/package.json', body: '{"name":"zx"}' },
  { name: 'package/build/', type: '5', mode: 0o755 },
  { name: 'package/build/cli.js', body: '#!/usr/bin/env node\n', mode: 0o775 },
  { name: 'package/build/big.bin', body: BIG },
);

// whichever module owns the NpmPackage type, it is what fetchPackages takes
export type NpmPackage = Parameters<typeof fetchPackages>[0][number];

export const zx = (tarball: Buffer = ZX): NpmPackage => ({ name: 'zx', version: '8.8.5', integrity: sri(tarball) });

export const cleanups: (() => unknown)[] = [];

/** Runs and forgets the cleanups of the test that ended: each test file's after.each. */
export async function cleanUp() {
  for (const cleanup of cleanups.splice(0)) await cleanup();
}

export async function registry(...handlers: Handler[]) {
  const server = await httpServer(handlers);
  cleanups.push(server.stop);
  return server;
}

/** a fresh root, a log and a sleep that only records */
export function machine(registryUrl: string, more: Partial<FetchOptions> = {}) {
  const root = mkdtempSync(join(tmpdir(), 'firstboot-npm-'));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  const lines: string[] = [];
  const slept: number[] = [];
  const options: FetchOptions = {
    registry: registryUrl,
    root,
    log: (line) => lines.push(line),
    sleep: async (ms) => void slept.push(ms),
    ...more,
  };
  return { root, lines, slept, options, modules: join(root, 'node_modules') };
}

export const mode = (path: string) => statSync(path).mode & 0o777;

export const list = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);
