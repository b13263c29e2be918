// The guest's npm registry: a real Verdaccio (test/registry.ts) for each VM, which the guest reaches
// at REPO_ADDRESS:4873 through a guestfwd, as it reaches the apt repository. It starts with every
// tarball a plan may pin, published once with `npm publish` into a storage kept in the cache, then gets
// the checkout, as a release puts firstboot on npm, and the test's own packages.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import type { NpmPackage } from '../../contract/plan';
import { npmPackages } from '../../generator/plan';
import { optionalTarballs } from '../../generator/npm-pins';
import { sri } from '../../payload/lib/npm';
import { pack, packCheckout, startRegistry, withRegistry, type Registry } from '../registry';
import { cacheKey, cachePath, removeTree, since } from './exec';
import { REPO_ADDRESS } from './image';
import type { Arch } from './packages';

/** Where the guest finds it: the repository's address (image.ts), on Verdaccio's usual port. */
export const REGISTRY_PORT = 4873;
export const VM_REGISTRY = `http://${REPO_ADDRESS}:${REGISTRY_PORT}/`;

/** what the VMs may fetch: the runner's packages and the optional capabilities' for the guests' architecture */
export function vmPackages(arch: Arch = 'amd64'): NpmPackage[] {
  // Claude Code's native packages end in Node.js's name of their architecture
  const other = arch === 'amd64' ? '-arm64' : '-x64';
  const all = [...npmPackages(), ...optionalTarballs().filter((pkg) => !pkg.name.endsWith(other))];
  return [...new Map(all.map((pkg) => [`${pkg.name}@${pkg.version}`, pkg])).values()];
}

const tarballPath = (dir: string, pkg: NpmPackage) =>
  join(dir, pkg.name, '-', `${basename(pkg.name)}-${pkg.version}.tgz`);

/** Every package a plan may name, from npm (its cache first), each checked against its pin. */
async function buildNpmDir(packages: NpmPackage[]): Promise<string> {
  const dir = cachePath(`npm-${cacheKey(packages)}`);
  if (existsSync(join(dir, 'complete'))) return dir;
  const tmp = `${dir}.tmp`;
  await removeTree(tmp);
  mkdirSync(tmp, { recursive: true });
  // one npm run for all (Context7's tree alone is 107): it prints each tarball's file name, in order
  const { stdout } = await promisify(execFile)(
    'npm',
    ['pack', ...packages.map((pkg) => `${pkg.name}@${pkg.version}`), '--pack-destination', tmp, '--silent'],
    { maxBuffer: 1 << 24 },
  );
  const files = stdout.trim().split('\n');
  if (files.length !== packages.length)
    throw new Error(`npm pack wrote ${files.length} tarballs for ${packages.length} packages`);
  for (const [i, pkg] of packages.entries()) {
    const packed = join(tmp, files[i]);
    const integrity = sri(readFileSync(packed));
    if (integrity !== pkg.integrity)
      throw new Error(`${pkg.name}@${pkg.version} from npm is ${integrity}, the pin says ${pkg.integrity}`);
    mkdirSync(join(tmp, pkg.name, '-'), { recursive: true });
    renameSync(packed, tarballPath(tmp, pkg));
  }
  mkdirSync(join(tmp, 'complete'));
  await removeTree(dir);
  renameSync(tmp, dir);
  return dir;
}

/** by name, then by version ("1.0.5" before "2.1.0"; the numbers compared, not the text) */
const oldestFirst = (a: NpmPackage, b: NpmPackage) => {
  const numbers = (v: string) => v.split(/[.+-]/).map((n) => Number(n) || 0);
  const [x, y] = [numbers(a.version), numbers(b.version)];
  const differs = x.findIndex((n, i) => n !== y[i]);
  return a.name.localeCompare(b.name) || (differs < 0 ? 0 : x[differs] - (y[differs] ?? 0));
};

/**
 * A registry storage holding every package a plan may name: the tarballs from npm, checked against their
 * pins, each published with `npm publish` (the registry must serve the pin again) into a registry of its
 * own, once, and kept in the cache; each VM's registry starts from a copy.
 */
export async function buildRegistrySeed(packages: NpmPackage[] = vmPackages()): Promise<string> {
  const verdaccio = JSON.parse(
    readFileSync(new URL('../../node_modules/verdaccio/package.json', import.meta.url), 'utf8'),
  ).version as string;
  const dir = cachePath(`registry-${cacheKey({ packages, verdaccio })}`);
  if (existsSync(dir)) return dir;
  const tarballs = await buildNpmDir(packages);
  const start = performance.now();
  const tmp = `${dir}.tmp`;
  await removeTree(tmp);
  console.log(`# publishing ${packages.length} pinned packages into the registry's seed`);
  await withRegistry({ storage: tmp }, async (registry) => {
    // one at a time, about 3 minutes on a cold cache (two at a time saved a fifth of that on two busy cores);
    // a package's versions oldest first: npm refuses to publish below the version its latest tag names
    for (const pkg of [...packages].sort(oldestFirst)) {
      const served = await registry.publish(tarballPath(tarballs, pkg));
      if (served.name !== pkg.name || served.version !== pkg.version || served.integrity !== pkg.integrity) {
        throw new Error(
          `${pkg.name}@${pkg.version}: the registry serves ${served.name}@${served.version} ${served.integrity}, ` +
            `the pin says ${pkg.integrity}`,
        );
      }
    }
  });
  renameSync(tmp, dir);
  console.log(`# registry seed: ${packages.length} packages in ${since(start)}`);
  return dir;
}

/**
 * A VM's registry: the seed, the checkout (packed once per process from the built dist/, which a CLI of the
 * test may be running from) and `more` tarballs (localPackage). Stop it when the VM goes.
 */
export async function startVmRegistry(more: string[] = [], arch: Arch = 'amd64'): Promise<Registry> {
  const registry = await startRegistry({ seed: await buildRegistrySeed(vmPackages(arch)) });
  try {
    for (const tarball of [await packCheckout(), ...more]) await registry.publish(tarball);
  } catch (err) {
    await registry.stop();
    throw err;
  }
  return registry;
}

/**
 * A package of the test's own for the guest's registry: its tarball (`npm pack`) for VmOptions.publish, and its pin.
 */
export async function localPackage(
  name: string,
  version: string,
  files: Record<string, string>,
): Promise<{ tarball: string; pin: NpmPackage }> {
  const dir = mkdtempSync(join(tmpdir(), 'firstboot-package-'));
  for (const [file, content] of Object.entries({ 'package.json': JSON.stringify({ name, version }), ...files }))
    writeFileSync(join(dir, file), content);
  const tarball = await pack(dir);
  return { tarball, pin: { name, version, integrity: sri(readFileSync(tarball)) } };
}
