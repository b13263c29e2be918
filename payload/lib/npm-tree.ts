// A pinned dependency tree (contract/npm-tree.ts NpmTree), for a tool that is more than one tarball. Its own
// module: only the steps that install such a tool carry it.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { treeDigest, treeId, type NpmTree } from '../../contract/npm-tree';
import { download, MARKER, NAME, sri, tarballUrl, unpack, VERSION, type FetchOptions } from './npm';

/**
 * A pinned tree (NpmTree) into `${root}/node_modules`: every tarball is downloaded and hashed,
 * the tree's digest recomputed from those hashes, and only when it is the pinned one is anything
 * unpacked, into a fresh node_modules that then takes the old one's place. `${root}/MARKER` holds the
 * digest of what is there.
 */
export async function fetchTree(tree: NpmTree, options: FetchOptions): Promise<void> {
  const marker = join(options.root, MARKER);
  if ((await readFile(marker, 'utf8').catch(() => undefined)) === tree.digest) return;
  const downloads = join(options.root, '.downloads');
  // the root first, as the umask has it (others run what lands here); a recursive mkdir would give it 0700
  await mkdir(options.root, { recursive: true });
  await mkdir(downloads, { recursive: true, mode: 0o700 });
  const tarballs = new Map<string, Buffer>();
  const entries = [];
  for (const id of tree.packages) {
    const { path, name, version } = treeId(id);
    if (!path.split('/node_modules/').every((n) => NAME.test(n)) || !VERSION.test(version))
      throw new Error(`${id}: not a valid package path and version`);
    const part = join(downloads, `${path.replaceAll('/', '+')}@${version}.tgz.part`);
    await download(tarballUrl(options.registry, { name, version }), part, {
      ...options,
      log: (line) => options.log(`${id}: ${line}`),
    });
    const tgz = await readFile(part);
    entries.push({ id, integrity: sri(tgz) });
    tarballs.set(path, tgz);
  }
  if (treeDigest(entries) !== tree.digest) {
    await rm(downloads, { recursive: true, force: true });
    throw new Error(
      `the ${tree.packages.length} packages downloaded are not the pinned tree (its digest differs): a ` +
        `registry or mirror served something else`,
    );
  }
  const modules = join(options.root, 'node_modules');
  const fresh = join(options.root, '.node_modules.new');
  await rm(fresh, { recursive: true, force: true });
  // npm's paths put a package before the ones nested in it
  for (const [path, tgz] of tarballs) await unpack(tgz, join(fresh, path));
  await rm(modules, { recursive: true, force: true });
  await rename(fresh, modules);
  await writeFile(marker, tree.digest);
  await rm(downloads, { recursive: true, force: true });
  options.log(`installed ${tree.packages.length} packages`);
}

/** what the steps call: tests stand in for it, since it writes the real file system */
export const treeInstall = { tree: fetchTree };
