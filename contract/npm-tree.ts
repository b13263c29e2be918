// The one digest that pins a whole npm dependency tree (NpmTree): `npm run pins` makes it from the
// pinned lock, the server from the tarballs it downloaded; equal means every tarball is the pinned one.
import { createHash } from 'node:crypto';

/**
 * A dependency tree, pinned without a line per tarball's digest: "PATH@VERSION" under node_modules/,
 * and one sha512 over every "PATH@VERSION INTEGRITY" line (treeDigest), which the server recomputes
 * from the tarballs it downloads before it unpacks any.
 */
export interface NpmTree {
  packages: string[];
  digest: string;
  /** the Node.js it needs, "MAJOR.MINOR.PATCH" or later */
  node: string;
  /** the file the tree's command runs, relative to node_modules/ */
  main: string;
}

export interface TreeEntry {
  /** "PATH@VERSION", PATH under node_modules/ */
  id: string;
  /** "sha512-<base64>" */
  integrity: string;
}

export function treeDigest(entries: TreeEntry[]): string {
  const lines = entries.map((entry) => `${entry.id} ${entry.integrity}\n`).join('');
  return `sha512-${createHash('sha512').update(lines).digest('base64')}`;
}

/** "a/node_modules/@s/b@1.0.0" -> its path, package name and version */
export function treeId(id: string): { path: string; name: string; version: string } {
  const at = id.lastIndexOf('@');
  const path = id.slice(0, at);
  return { path, name: path.split('node_modules/').at(-1)!, version: id.slice(at + 1) };
}

/** "20.19.2" against "20.18.1" (either may stop short, "18.20"): is the Node.js that runs it new enough? */
export function nodeAtLeast(have: string, need: string): boolean {
  const [a, b] = [have, need].map((v) => v.split('.').map(Number));
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
}
