// Runs host tools for the harness. Output goes to a log file so a failure can point at it
// without flooding the test output.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, openSync, closeSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * What the harness builds (repositories, images, npm tarballs), keyed by its inputs, in one folder for
 * the whole machine: CI right after a session, and the next checkout, find it built.
 */
export const CACHE = process.env.FIRSTBOOT_VM_CACHE ?? join(homedir(), '.cache', 'firstboot', 'vm');
/** What one checkout's runs leave: each VM's overlay and the artifacts of a failure (gitignored). */
const WORK = resolve(new URL('../../.cache/vm', import.meta.url).pathname);

export function cachePath(...parts: string[]): string {
  mkdirSync(CACHE, { recursive: true });
  return join(CACHE, ...parts);
}

export function workPath(...parts: string[]): string {
  mkdirSync(WORK, { recursive: true });
  return join(WORK, ...parts);
}

/** A file's or a download's sha256, as pins name it (hex). */
export const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** Short stable key for a cache entry: whatever decides its content goes in. */
export function cacheKey(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 12);
}

/** Runs cmd and resolves with its stdout; rejects with the tail of its output. With `log`, output goes to that file. */
export function run(cmd: string, args: string[], opts: { log?: string; cwd?: string } = {}): Promise<string> {
  return new Promise((res, rej) => {
    const fd = opts.log ? openSync(opts.log, 'a') : undefined;
    const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ['ignore', fd ?? 'pipe', fd ?? 'pipe'] });
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => (out += d));
    child.stderr?.on('data', (d: Buffer) => (err += d));
    child.on('error', rej);
    child.on('close', (code) => {
      if (fd !== undefined) closeSync(fd);
      if (code === 0) return res(out);
      const text = opts.log ? readFileSync(opts.log, 'utf8') : out + err;
      rej(new Error(`${cmd} ${args.join(' ')} exited ${code}\n${text.slice(-3000)}`));
    });
  });
}

/** Seconds since `start` (a performance.now() value), for the timings the harness prints. */
export function since(start: number): string {
  return `${((performance.now() - start) / 1000).toFixed(0)} s`;
}

/**
 * Deletes a build folder that a failed mmdebstrap may have left with mounts inside (a bind mount of
 * the local repository among them): unmount those first and never cross into another file system.
 */
export async function removeTree(path: string): Promise<void> {
  const mounts = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter((m) => m.startsWith(`${path}/`))
    .sort()
    .reverse();
  for (const mount of mounts) await run('umount', ['--lazy', mount]);
  await run('rm', ['-rf', '--one-file-system', path]);
}
