// firstboot's own payload pieces (dist/payload/) as content-addressed artifacts, as zx is: one digest
// over their manifest (each file's name and sha512) pins them all. The generator makes it from the
// build, the server from what it fetched; equal means every file is the one the plan was made with.
import { createHash } from 'node:crypto';
import { treeDigest } from './npm-tree';
import type { Plan } from './plan';

/** where the published package holds the pieces: in an npm tarball, under package/ */
export const PIECES_FOLDER = 'dist/payload';

/** names become paths under the payload folder: no '.' or '..' components, no absolute paths */
export const PIECE_NAME = /^(?!.*(?:^|\/)\.\.?(?:\/|$))[\w.-]+(?:\/[\w.-]+)*$/;

export function piecesDigest(files: Record<string, string | Buffer>): string {
  const names = Object.keys(files).sort();
  const bad = names.find((name) => !PIECE_NAME.test(name));
  if (bad) throw new Error(`"${bad}" is not a piece's name`);
  return treeDigest(
    names.map((name) => ({
      id: name,
      integrity: `sha512-${createHash('sha512').update(files[name]).digest('base64')}`,
    })),
  );
}

/**
 * the file `firstboot pieces --out` writes and a URL source serves: version and digest in the name, so
 * versions share a folder
 */
export function piecesFile(version: string, digest: string): string {
  const hex = Buffer.from(digest.replace(/^sha512-/, ''), 'base64')
    .toString('hex')
    .slice(0, 16);
  return `firstboot-${version}-pieces-${hex}.tgz`;
}

/** The payload modules a plan runs, besides the runner: each step's, and the report command's. */
export function planModules(plan: Plan): string[] {
  const report = plan.steps.some((step) => step.id === 'report');
  return [...plan.steps.map((step) => `steps/${step.id}.mjs`), ...(report ? ['daily-report.mjs'] : [])];
}
