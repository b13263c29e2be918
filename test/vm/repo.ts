// The local package repository: Debian's own .debs, downloaded once on the host and served on
// loopback, so a VM installs what the payload asks for without reaching any network.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';
import { gzipSync } from 'node:zlib';
import { cacheKey, cachePath, removeTree, run, since } from './exec';
import { basePackages, EXTRA_PACKAGES, type Suite } from './packages';

/**
 * Builds (or finds in the cache) a flat repository for `suite` holding the stock image's packages
 * and EXTRA_PACKAGES with their dependencies and recommends. One mmdebstrap run installs the stock
 * set, asks the chroot's apt to download the extras on top, and keeps every .deb it fetched.
 */
export async function buildRepo(suite: Suite): Promise<string> {
  const packages = { suite, base: basePackages(suite), extra: EXTRA_PACKAGES, mirrors: debianMirrors(suite) };
  const dir = cachePath(`repo-${suite}-${cacheKey(packages)}`);
  if (existsSync(join(dir, 'Release'))) return dir;

  const start = performance.now();
  const tmp = `${dir}.tmp`;
  await removeTree(tmp);
  mkdirSync(tmp);
  const log = join(tmp, 'mmdebstrap.log');
  console.log(`# building the ${suite} package repository (log: ${log})`);
  await run('mmdebstrap', [
    '--mode=root',
    // essential packages are deleted from apt's cache after their install unless told otherwise
    '--skip=essential/unlink',
    `--include=${packages.base.join(',')}`,
    `--customize-hook=chroot "$1" apt-get install --download-only --yes ${packages.extra.join(' ')}`,
    `--customize-hook=cp "$1"/var/cache/apt/archives/*.deb ${tmp}/`,
    suite, '/dev/null', ...packages.mirrors,
  ], { log });
  writeFileSync(join(tmp, 'Packages'), await run('dpkg-scanpackages', ['--multiversion', '.'], { cwd: tmp }));
  writeIndexes(tmp, suite);
  await removeTree(dir);
  renameSync(tmp, dir);
  console.log(`# ${suite} repository: ${readdirSync(dir).filter((f) => f.endsWith('.deb')).length} packages in ${since(start)}`);
  return dir;
}

/** Debian's archive, security updates included, all through deb.debian.org. */
function debianMirrors(suite: Suite): string[] {
  return [`deb http://deb.debian.org/debian ${suite} ${suite}-updates main`, `deb http://deb.debian.org/debian-security ${suite}-security main`];
}

/**
 * Packages.gz and a Release file listing both indexes, as apt expects of a flat repository. The
 * suite and codename let mmdebstrap's package selection (?archive(^bookworm$)) match it.
 */
function writeIndexes(dir: string, suite: Suite): void {
  const packages = readFileSync(join(dir, 'Packages'));
  writeFileSync(join(dir, 'Packages.gz'), gzipSync(packages));
  const sums = ['Packages', 'Packages.gz'].map((name) => {
    const hash = createHash('sha256').update(readFileSync(join(dir, name))).digest('hex');
    return ` ${hash} ${statSync(join(dir, name)).size} ${name}`;
  });
  writeFileSync(join(dir, 'Release'), `Origin: firstboot-vm\nLabel: firstboot-vm\nSuite: ${suite}\nCodename: ${suite}\nDate: ${new Date().toUTCString()}\nSHA256:\n${sums.join('\n')}\n`);
}

export interface Served {
  port: number;
  close(): Promise<void>;
}

/** Serves folders read-only over HTTP on 127.0.0.1 (an ephemeral port), each under its URL prefix. */
export async function serveRepo(roots: Record<string, string>): Promise<Served> {
  const prefixes = Object.keys(roots).sort((a, b) => b.length - a.length);
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    const prefix = prefixes.find((p) => path.startsWith(p)) ?? '/';
    const file = join(roots[prefix], path.slice(prefix.length));
    if (path.includes('..') || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-length': statSync(file).size });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((res) => { server.closeAllConnections(); server.close(() => res()); }),
  };
}
