// The npm side of the local repository: the tarballs the payload fetches, laid out as a registry
// serves them (NAME/-/BASENAME-VERSION.tgz), so a VM fetches zx exactly as a server does from npm.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import type { NpmPackage } from '../../contract/plan';
import { npmPackages } from '../../generator/plan';
import { optionalTarballs } from '../../generator/npm-pins';
import { cacheKey, cachePath, removeTree } from './exec';
import { REPO_ADDRESS } from './image';

/** Where the guest finds it: the repository's address (image.ts), under /npm/. */
export const NPM_PREFIX = '/npm/';
export const VM_REGISTRY = `http://${REPO_ADDRESS}${NPM_PREFIX}`;

/** what the VMs (x86-64) may fetch: the runner's packages and the optional capabilities' for their architecture */
function vmPackages(): NpmPackage[] {
  const all = [...npmPackages(), ...optionalTarballs().filter((pkg) => !pkg.name.endsWith('-arm64'))];
  return [...new Map(all.map((pkg) => [`${pkg.name}@${pkg.version}`, pkg])).values()];
}

/** Every package a plan may name, from npm (its cache first), each checked against its pin. */
export async function buildNpmDir(packages: NpmPackage[] = vmPackages()): Promise<string> {
  const dir = cachePath(`npm-${cacheKey(packages)}`);
  if (existsSync(join(dir, 'complete'))) return dir;
  const tmp = `${dir}.tmp`;
  await removeTree(tmp);
  mkdirSync(tmp, { recursive: true });
  // one npm run for all (Context7's tree alone is 107): it prints each tarball's file name, in order
  const { stdout } = await promisify(execFile)('npm', ['pack', ...packages.map((pkg) => `${pkg.name}@${pkg.version}`), '--pack-destination', tmp, '--silent'], { maxBuffer: 1 << 24 });
  const files = stdout.trim().split('\n');
  if (files.length !== packages.length) throw new Error(`npm pack wrote ${files.length} tarballs for ${packages.length} packages`);
  for (const [i, pkg] of packages.entries()) {
    const packed = join(tmp, files[i]);
    const integrity = `sha512-${createHash('sha512').update(readFileSync(packed)).digest('base64')}`;
    if (integrity !== pkg.integrity) throw new Error(`${pkg.name}@${pkg.version} from npm is ${integrity}, the pin says ${pkg.integrity}`);
    mkdirSync(join(tmp, pkg.name, '-'), { recursive: true });
    renameSync(packed, join(tmp, pkg.name, '-', `${basename(pkg.name)}-${pkg.version}.tgz`));
  }
  mkdirSync(join(tmp, 'complete'));
  await removeTree(dir);
  renameSync(tmp, dir);
  return dir;
}

/** A package of the test's own on the guest's registry: what to add to VmOptions.registry, and its pin. */
export async function localPackage(name: string, version: string, files: Record<string, string>): Promise<{ registry: Record<string, string>; pin: NpmPackage }> {
  const dir = mkdtempSync(join(tmpdir(), 'firstboot-package-'));
  for (const [file, content] of Object.entries({ 'package.json': JSON.stringify({ name, version }), ...files })) {
    mkdirSync(join(dir, 'package'), { recursive: true });
    writeFileSync(join(dir, 'package', file), content);
  }
  const tgz = join(dir, `${basename(name)}-${version}.tgz`);
  await promisify(execFile)('tar', ['-czf', tgz, '--owner=0', '--group=0', '-C', dir, 'package']);
  const integrity = `sha512-${createHash('sha512').update(readFileSync(tgz)).digest('base64')}`;
  return { registry: { [`${NPM_PREFIX}${name}/-/`]: dir }, pin: { name, version, integrity } };
}
