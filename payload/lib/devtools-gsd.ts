// GSD (get-shit-done-cc) for the admin's Claude Code: its pinned tree in DEVTOOLS/gsd, then its own
// installer run as the admin, which lays skills, agents, hooks and get-shit-done/ into ~/.claude, lists
// each file in gsd-file-manifest.json and adds its hooks to ~/.claude/settings.json. Its own module, so
// the devtools step stays short; only that step carries it.
import { treeId, type NpmTree } from '../../contract/npm-tree';
import type { Fs } from './fs';
import type { Shell } from './shell';
import { MARKER, type FetchOptions } from './npm';
import { treeInstall } from './npm-tree';
import { GSD_ROOT } from './devtools-paths';

const PACKAGE = 'get-shit-done-cc';
const INSTALLER = `${GSD_ROOT}/node_modules/${PACKAGE}/bin/install.js`;
const claudeDir = (user: string) => `/home/${user}/.claude`;

/** the version pinned: the tree's own package's */
export function gsdVersion(tree: NpmTree): string {
  const id = tree.packages.find((entry) => treeId(entry).path === PACKAGE);
  if (!id) throw new Error(`the GSD pins hold no ${PACKAGE}`);
  return treeId(id).version;
}

/** the files GSD's installer laid out, relative to ~/.claude, as its manifest lists them */
async function manifestFiles(fs: Fs, path: string): Promise<string[] | undefined> {
  try {
    const { files } = JSON.parse((await fs.read(path)) ?? '');
    return files && typeof files === 'object' ? Object.keys(files) : undefined;
  } catch {
    return undefined;
  }
}

/** each file of the manifest there and the admin's: what the installer wrote, as the admin */
async function filesDrift(fs: Fs, user: string, files: string[]): Promise<string[]> {
  const dir = claudeDir(user);
  const [missing, others]: string[][] = [[], []];
  for (const file of files) {
    const stat = await fs.stat(`${dir}/${file}`);
    if (!stat) missing.push(file);
    else if (stat.owner.split(':')[0] !== user) others.push(file);
  }
  // a count and the first: a few hundred lines would drown the log
  return [
    ...(missing.length
      ? [`${missing.length} of GSD's ${files.length} files are not in ${dir}, first ${missing[0]}`]
      : []),
    ...(others.length ? [`${others.length} of GSD's files in ${dir} are not ${user}'s, first ${others[0]}`] : []),
  ];
}

/** How the admin's GSD differs from the pin: the tree, the version laid out, the files its manifest lists. */
export async function gsdDrift(fs: Fs, user: string, tree: NpmTree): Promise<string[]> {
  const version = gsdVersion(tree);
  if ((await fs.read(`${GSD_ROOT}/${MARKER}`)) !== tree.digest) return [`GSD ${version} is not installed`];
  const dir = claudeDir(user);
  const laid = (await fs.read(`${dir}/get-shit-done/VERSION`))?.trim();
  if (laid !== version)
    return [laid ? `${user}'s Claude Code has GSD ${laid}, not ${version}` : `GSD is not in ${user}'s Claude Code`];
  const files = await manifestFiles(fs, `${dir}/gsd-file-manifest.json`);
  if (!files) return [`${dir}/gsd-file-manifest.json is missing or not GSD's manifest`];
  return filesDrift(fs, user, files);
}

/** what a failed command said last, without its colours */
const tail = (text: string) =>
  text
    .replace(/\u001b\[[\d;]*m/g, '')
    .trim()
    .split('\n')
    .slice(-3)
    .map((line) => line.trim())
    .join(' / ');

/**
 * The pinned tree (nothing unpacked unless every tarball is the pinned one), then GSD's installer as the
 * admin in its own HOME, so ~/.claude stays the admin's. It is idempotent: a run again refreshes the files.
 * --no-sdk: no ~/.local/bin/gsd-sdk link into the tree; firstboot's wrapper puts gsd-sdk on the PATH.
 */
export async function installGsd($: Shell, user: string, tree: NpmTree, fetch: Omit<FetchOptions, 'root'>) {
  await treeInstall.tree(tree, { ...fetch, root: GSD_ROOT });
  const $admin = $({ nothrow: true, timeout: '300s' });
  const out = await $admin`sudo -u ${user} -H node ${INSTALLER} --claude --global --no-sdk`;
  if (!out.ok)
    throw new Error(`GSD's installer failed for ${user} (exit ${out.exitCode}): ${tail(out.stderr || out.stdout)}`);
}
