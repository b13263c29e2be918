// The local package repository: Debian's own .debs, downloaded once on the host and served on
// loopback, so a VM installs what the payload asks for without reaching any network.
import { createHash } from 'node:crypto';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';
import { gzipSync } from 'node:zlib';
import { checkForeign } from './arch';
import { cacheKey, cachePath, removeTree, run, since } from './exec';
import { type Arch, basePackages, EXTRA_PACKAGES, type Suite } from './packages';

/**
 * Builds (or finds in the cache) a flat repository for `suite` holding the stock image's packages
 * and EXTRA_PACKAGES with their dependencies and recommends. One mmdebstrap run installs the stock
 * set, asks the chroot's apt to download the extras on top, and keeps every .deb it fetched.
 */
export async function buildRepo(suite: Suite, arch: Arch = 'amd64'): Promise<string> {
  const base = basePackages(suite, arch);
  const packages = { suite, base, extra: EXTRA_PACKAGES, mirrors: debianMirrors(suite) };
  // amd64's key and name stay what they were, so its cached repositories still count
  const [name, key] = arch === 'amd64' ? [suite, packages] : [`${suite}-${arch}`, { ...packages, arch }];
  const dir = cachePath(`repo-${name}-${cacheKey(key)}`);
  if (existsSync(join(dir, 'Release'))) {
    // a repository cached before the security suite was part of it gets it now (no download)
    writeSecuritySuite(dir, suite);
    return dir;
  }

  checkForeign(arch);
  const start = performance.now();
  const tmp = `${dir}.tmp`;
  await removeTree(tmp);
  mkdirSync(tmp);
  const log = join(tmp, 'mmdebstrap.log');
  console.log(`# building the ${name} package repository (log: ${log})`);
  await run(
    'mmdebstrap',
    [
      '--mode=root',
      // another architecture's chroot runs under qemu-user through binfmt_misc (foreignArch in image.ts)
      `--architectures=${arch}`,
      // essential packages are deleted from apt's cache after their install unless told otherwise
      '--skip=essential/unlink',
      `--include=${packages.base.join(',')}`,
      `--customize-hook=chroot "$1" apt-get install --download-only --yes ${packages.extra.join(' ')}`,
      `--customize-hook=cp "$1"/var/cache/apt/archives/*.deb ${tmp}/`,
      suite,
      '/dev/null',
      ...packages.mirrors,
    ],
    { log },
  );
  writeFileSync(join(tmp, 'Packages'), await run('dpkg-scanpackages', ['--multiversion', '.'], { cwd: tmp }));
  writeIndexes(tmp, suite);
  writeSecuritySuite(tmp, suite);
  await removeTree(dir);
  renameSync(tmp, dir);
  console.log(
    `# ${name} repository: ${readdirSync(dir).filter((f) => f.endsWith('.deb')).length} packages in ${since(start)}`,
  );
  return dir;
}

/** Debian's archive, security updates included, all through deb.debian.org. */
function debianMirrors(suite: Suite): string[] {
  return [
    `deb http://deb.debian.org/debian ${suite} ${suite}-updates main`,
    `deb http://deb.debian.org/debian-security ${suite}-security main`,
  ];
}

/**
 * Packages.gz and a Release file listing both indexes, as apt expects of a flat repository. The
 * suite and codename let mmdebstrap's package selection (?archive(^bookworm$)) match it.
 */
function writeIndexes(
  dir: string,
  suite: string,
  names: { origin: string; label: string } = { origin: 'firstboot-vm', label: 'firstboot-vm' },
): void {
  const packages = readFileSync(join(dir, 'Packages'));
  writeFileSync(join(dir, 'Packages.gz'), gzipSync(packages));
  const sums = ['Packages', 'Packages.gz'].map((name) => {
    const hash = createHash('sha256')
      .update(readFileSync(join(dir, name)))
      .digest('hex');
    return ` ${hash} ${statSync(join(dir, name)).size} ${name}`;
  });
  writeFileSync(
    join(dir, 'Release'),
    `Origin: ${names.origin}\nLabel: ${names.label}\nSuite: ${suite}\nCodename: ${suite}\n` +
      `Date: ${new Date().toUTCString()}\nSHA256:\n${sums.join('\n')}\n`,
  );
}

/** Where the repository's folder holds the security suite, served as http://REPO/debian-security/ ./ */
export const SECURITY_DIR = 'debian-security';

/**
 * A second flat suite that apt takes for Debian's security archive (the Origin, Label and Codename
 * unattended-upgrades' security origins match), so the upgrades step finds a security release on the
 * guest and adds no source the guest could not reach. It holds one stand-in package no one installs:
 * apt lists no release for an empty index. Every real package comes from the main suite.
 */
function writeSecuritySuite(repo: string, suite: Suite): void {
  const dir = join(repo, SECURITY_DIR);
  if (existsSync(join(dir, 'Release'))) return;
  const tmp = `${dir}.tmp-${process.pid}`;
  mkdirSync(tmp, { recursive: true });
  writeFileSync(
    join(tmp, 'Packages'),
    'Package: firstboot-vm-security\nVersion: 1\nArchitecture: all\nMaintainer: firstboot <firstboot@localhost>\n' +
      'Filename: ./firstboot-vm-security_1_all.deb\nSize: 0\nDescription: stands in for the security archive\n',
  );
  writeIndexes(tmp, `${suite}-security`, { origin: 'Debian', label: 'Debian-Security' });
  // another run may have made it meanwhile: the first one stays
  try {
    renameSync(tmp, dir);
  } catch {
    rmSync(tmp, { recursive: true, force: true });
  }
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
    close: () =>
      new Promise((res) => {
        server.closeAllConnections();
        server.close(() => res());
      }),
  };
}
