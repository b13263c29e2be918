// Fetches the npm packages the server needs at first boot, pinned by package-lock.json. The tarball is
// checked against its sha512 before anything is unpacked; nothing from it is ever executed. First boot
// is where networks are flaky and power gets cut, so downloads retry, resume, and land atomically.
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { NpmPackage } from '../../contract/plan';
import { createHash } from 'node:crypto';
import { readTar } from './tar';

export interface FetchOptions {
  /**
   * registry base URL, e.g. 'https://registry.npmjs.org/' (with or without trailing slash, may contain
   * a path like http://host:8080/npm/)
   */
  registry: string;
  /** packages land in `${root}/node_modules/<name>` */
  root: string;
  /** one line per event worth logging (retries, installs) */
  log: (line: string) => void;
  /** how long to keep retrying one package, default 10 minutes */
  retryForMs?: number;
  /** an attempt that receives no bytes for this long is aborted and retried, default 60 s */
  stallMs?: number;
  /** injectable for tests */
  sleep?: (ms: number) => Promise<void>;
  /** a download that grows past this is refused and removed, default TARBALL_MAX_BYTES */
  maxBytes?: number;
}

/**
 * The most any pinned tarball may take on disk before its sha512 is checked. The plan pins digests, not
 * sizes: this is a generous bound (the largest pinned package, Claude Code's native binary, is about 190 MB), so
 * a bad mirror or redirect cannot fill the disk first.
 */
export const TARBALL_MAX_BYTES = 512 * 1024 * 1024;

/** "sha512-<base64>", as npm writes a tarball's integrity */
export const sri = (data: Buffer) => `sha512-${createHash('sha512').update(data).digest('base64')}`;

export const MARKER = '.firstboot-integrity';
// names and versions become paths: no '.' or '..' components, no other slashes
export const NAME = /^(@[\w~-][\w.~-]*\/)?[\w~-][\w.~-]*$/;
export const VERSION = /^[\w.+-]+$/;
const SHA512 = /^sha512-[A-Za-z0-9+/]{86}==$/;

export function tarballUrl(registry: string, pkg: Pick<NpmPackage, 'name' | 'version'>): string {
  return `${registry.replace(/\/+$/, '')}/${pkg.name}/-/${basename(pkg.name)}-${pkg.version}.tgz`;
}

export async function fetchPackages(packages: NpmPackage[], options: FetchOptions): Promise<void> {
  for (const pkg of packages) {
    const id = `${pkg.name}@${pkg.version}`;
    try {
      await fetchPackage(pkg, { ...options, log: (line) => options.log(`${id}: ${line}`) });
    } catch (err) {
      throw new Error(`${id}: ${(err as Error).message}`, { cause: err });
    }
  }
}

/** what the steps call: tests stand in for it, since it writes the real file system */
export const npmInstall = { packages: fetchPackages };

async function fetchPackage(pkg: NpmPackage, options: FetchOptions): Promise<void> {
  if (!NAME.test(pkg.name) || !VERSION.test(pkg.version)) throw new Error('not a valid package name and version');
  if (!SHA512.test(pkg.integrity)) throw new Error(`only sha512 integrity pins are accepted, got '${pkg.integrity}'`);
  const target = join(options.root, 'node_modules', pkg.name);
  if ((await readFile(join(target, MARKER), 'utf8').catch(() => undefined)) === pkg.integrity) return;

  const downloads = join(options.root, '.downloads');
  await mkdir(options.root, { recursive: true });
  await mkdir(downloads, { recursive: true, mode: 0o700 });
  const part = join(downloads, `${pkg.name.replace('/', '+')}@${pkg.version}.tgz.part`);
  await download(tarballUrl(options.registry, pkg), part, options);

  const tgz = await readFile(part);
  const got = sri(tgz);
  if (got !== pkg.integrity) {
    await rm(part, { force: true });
    throw new Error(`integrity mismatch: wanted ${pkg.integrity}, got ${got}`);
  }
  const files = await unpack(tgz, target);
  await writeFile(join(target, MARKER), pkg.integrity);
  await rm(part);
  options.log(`installed (${files} files)`);
}

/**
 * Completes `part` from `url`, retrying what a network does (with resume). A final failure (an HTTP
 * error, too many bytes, a full disk) removes the part file; retries that ran out keep it, at most
 * maxBytes, for the next run to resume.
 */
export async function download(
  url: string,
  part: string,
  options: Pick<FetchOptions, 'log' | 'retryForMs' | 'stallMs' | 'sleep' | 'maxBytes'>,
): Promise<void> {
  const {
    retryForMs = 600_000,
    stallMs = 60_000,
    maxBytes = TARBALL_MAX_BYTES,
    sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
  } = options;
  // time spent: attempts by the clock plus the sleeps, so an injected sleep moves it too
  let spent = 0;
  for (let delay = 1000; ; delay = Math.min(2 * delay, 30_000)) {
    const started = Date.now();
    const reason = await attempt(url, part, stallMs, maxBytes).catch(async (err: unknown) => {
      await rm(part, { force: true });
      throw err;
    });
    if (reason === undefined) return;
    spent += Date.now() - started;
    if (spent + delay > retryForMs) throw new Error(`not downloaded from ${url} in ${duration(retryForMs)}: ${reason}`);
    options.log(`download failed (${reason}), retrying in ${duration(delay)}`);
    await sleep(delay);
    spent += delay;
  }
}

const duration = (ms: number) =>
  ms >= 60_000 && ms % 60_000 === 0 ? `${ms / 60_000} minute${ms === 60_000 ? '' : 's'}` : `${ms / 1000} s`;

// 404: a mirror may not have synced yet
const retryable = (status: number) => status === 404 || status === 408 || status === 429 || status >= 500;

/** One try at completing the part file: resolves when it is whole, or to why it is worth another try. */
async function attempt(url: string, part: string, stallMs: number, maxBytes: number): Promise<string | undefined> {
  const have = await stat(part).then(
    (s) => s.size,
    () => 0,
  );
  const headers: Record<string, string> = {
    'accept-encoding': 'identity',
    ...(have > 0 && { range: `bytes=${have}-` }),
  };
  const abort = new AbortController();
  const watchdog = setTimeout(() => abort.abort(), stallMs);
  try {
    const res = await fetch(url, { headers, signal: abort.signal });
    if (!res.ok) {
      await res.body?.cancel();
      // 416: the part file is already whole, or not this file's start: start over
      if (res.status === 416) await rm(part);
      if (res.status === 416 || retryable(res.status)) return `HTTP ${res.status}`;
      throw new Error(`HTTP ${res.status} from ${url}`);
    }
    // 200 to a Range request: the server sends the whole file
    const kept = res.status === 206 ? have : 0;
    const file = await open(part, kept ? 'a' : 'w', 0o600);
    let received = 0;
    try {
      for await (const chunk of res.body ?? []) {
        watchdog.refresh();
        if (kept + received + chunk.length > maxBytes)
          throw new Error(`${url} sends more than ${maxBytes} bytes, more than any pinned file may have`);
        await file.write(chunk);
        received += chunk.length;
      }
    } finally {
      await file.close();
    }
    const length = Number(res.headers.get('content-length') ?? NaN);
    if (received < length) return `${received} of ${length} bytes`;
  } catch (err) {
    if (abort.signal.aborted) return `no data for ${duration(stallMs)}`;
    // fetch reports network failures as TypeError; anything else (HTTP 403, a full disk) is final
    if (err instanceof TypeError) return ((err.cause as Error | undefined) ?? err).message;
    throw err;
  } finally {
    clearTimeout(watchdog);
  }
}

/** Writes the package beside its final place, then swaps it in: a cut never leaves half a package there. */
export async function unpack(tgz: Buffer, target: string): Promise<number> {
  const entries = readTar(tgz);
  const temporary = join(dirname(target), `.${basename(target)}.tmp-${process.pid}`);
  await rm(temporary, { recursive: true, force: true });
  try {
    await mkdir(temporary, { recursive: true, mode: 0o755 });
    for (const entry of entries) {
      const path = join(temporary, entry.path);
      if (entry.type === 'dir') {
        await mkdir(path, { recursive: true, mode: 0o755 });
      } else {
        await mkdir(dirname(path), { recursive: true, mode: 0o755 });
        await writeFile(path, entry.data, { mode: entry.executable ? 0o755 : 0o644 });
      }
    }
    await rm(target, { recursive: true, force: true });
    await rename(temporary, target);
  } catch (err) {
    await rm(temporary, { recursive: true, force: true });
    throw err;
  }
  return entries.filter((entry) => entry.type === 'file').length;
}
