// The npm side of the local repository: the tarballs the payload fetches, laid out as a registry
// serves them (NAME/-/BASENAME-VERSION.tgz), so a VM fetches zx exactly as a server does from npm.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import type { NpmPackage } from '../../contract/plan';
import { npmPackages } from '../../generator/plan';
import { cacheKey, cachePath, removeTree } from './exec';
import { REPO_ADDRESS } from './image';

/** Where the guest finds it: the repository's address (image.ts), under /npm/. */
export const NPM_PREFIX = '/npm/';
export const VM_REGISTRY = `http://${REPO_ADDRESS}${NPM_PREFIX}`;

/** Every package a plan may name, from npm (its cache first), each checked against its pin. */
export async function buildNpmDir(packages: NpmPackage[] = npmPackages()): Promise<string> {
  const dir = cachePath(`npm-${cacheKey(packages)}`);
  if (existsSync(join(dir, 'complete'))) return dir;
  const tmp = `${dir}.tmp`;
  await removeTree(tmp);
  mkdirSync(tmp, { recursive: true });
  for (const pkg of packages) {
    const { stdout } = await promisify(execFile)('npm', ['pack', `${pkg.name}@${pkg.version}`, '--pack-destination', tmp, '--silent']);
    const packed = join(tmp, stdout.trim().split('\n').at(-1)!);
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
