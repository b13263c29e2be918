// firstboot's own pieces that the user-data left out (generator/pack.ts ALWAYS_INSIDE), fetched from
// the plan's source with the npm fetcher's retries, resume and cap, and checked against the plan's one
// digest (contract/pieces.ts) before a single file is written.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Plan, PiecesSource } from '../contract/plan';
import { PIECES_FOLDER, piecesDigest, piecesFile, planModules } from '../contract/pieces';
import { download, tarballUrl, type FetchOptions } from './lib/npm';
import { readTar } from './lib/tar';
import type { Log } from './lib/log';
import type { Shell } from './lib/shell';
import { SERVER_PATHS } from '../contract/paths';
import { PIECES_PENDING } from '../contract/status';

/**
 * The most the pieces' file may take before its digest is checked: the published package, CLI included,
 * is well under 1 MB.
 */
export const PIECES_MAX_BYTES = 16 * 1024 * 1024;

type WithPieces = Plan & { pieces: PiecesSource };

/**
 * npm: the firstboot package of the plan's version on the plan's registry; else the file
 * `firstboot pieces --out` wrote, under the base URL.
 */
export const piecesUrl = (plan: WithPieces) =>
  plan.pieces.from === 'npm'
    ? tarballUrl(plan.npm.registry, { name: 'firstboot', version: plan.firstboot })
    : `${plan.pieces.from.replace(/\/+$/, '')}/${piecesFile(plan.firstboot, plan.pieces.digest)}`;

/** How the status names the source: "firstboot's pieces from npm (REGISTRY)" or "… from URL". */
export const piecesFrom = (plan: WithPieces) =>
  `${PIECES_PENDING} ${plan.pieces.from === 'npm' ? `npm (${plan.npm.registry})` : plan.pieces.from}`;

/** The modules this plan runs that are not in the payload folder: what only a fetch brings. */
export const missingPieces = (plan: Plan, dir: string) =>
  planModules(plan).filter((name) => !existsSync(join(dir, name)));

/** The files under the package's payload folder, by their name there; any other entry is not ours to look at. */
function piecesIn(tgz: Buffer): Record<string, Buffer> {
  const prefix = `${PIECES_FOLDER}/`;
  const files: Record<string, Buffer> = {};
  for (const entry of readTar(tgz))
    if (entry.type === 'file' && entry.path.startsWith(prefix)) files[entry.path.slice(prefix.length)] = entry.data;
  return files;
}

/**
 * Downloads the pieces, checks every file against the plan's digest, and only then writes those of
 * the plan's modules that the folder lacks (each whole or not at all). Throws why not, with nothing written.
 */
export async function fetchPieces(
  plan: WithPieces,
  dir: string,
  options: Omit<FetchOptions, 'registry' | 'maxBytes'>,
): Promise<number> {
  const url = piecesUrl(plan);
  const downloads = join(options.root, '.downloads');
  await mkdir(downloads, { recursive: true, mode: 0o700 });
  const part = join(downloads, 'firstboot-pieces.tgz.part');
  await download(url, part, { ...options, maxBytes: PIECES_MAX_BYTES });
  const tgz = await readFile(part);
  await rm(part);
  let files: Record<string, Buffer>;
  let digest: string;
  try {
    files = piecesIn(tgz);
    digest = piecesDigest(files);
  } catch (err) {
    throw new Error(`${url} is not firstboot's pieces: ${(err as Error).message}`);
  }
  if (digest !== plan.pieces.digest) {
    throw new Error(
      `${url} holds ${Object.keys(files).length} files that are not the pieces this plan pins (their ` +
        `digest differs): a mirror or server served something else`,
    );
  }
  // only what this plan runs, as the user-data would have carried it: pieces.json (checked with the rest)
  // says which files each needs
  const needs = JSON.parse(files['pieces.json']?.toString() ?? '{}') as Record<string, string[]>;
  const wanted = new Set(
    planModules(plan).flatMap((module) => needs[module.replace(/^steps\//, '').replace(/\.mjs$/, '')] ?? []),
  );
  const missing = [...wanted].filter((name) => Object.hasOwn(files, name) && !existsSync(join(dir, name)));
  for (const name of missing) {
    const file = join(dir, name);
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    await writeFile(`${file}.new`, files[name], { mode: 0o600 });
    await rename(`${file}.new`, file);
  }
  options.log(
    `${piecesFrom(plan)}: ${missing.length} files added, all checked against ${plan.pieces.digest.slice(0, 19)}…`,
  );
  return missing.length;
}

/**
 * For a plan that names a source: undefined when every module it runs is here (fetched when missing
 * and `fetch`), else what the steps whose code is missing wait for.
 */
export async function unfetchedPieces(
  plan: Plan,
  dir: string,
  options: Omit<FetchOptions, 'registry' | 'maxBytes'> & { fetch: boolean },
): Promise<string | undefined> {
  if (!plan.pieces || missingPieces(plan, dir).length === 0) return undefined;
  const withPieces = { ...plan, pieces: plan.pieces };
  if (!options.fetch) return `${piecesFrom(withPieces)} (firstboot run fetches them)`;
  try {
    // a short try: the steps inside the user-data run meanwhile, and a timer tries again later
    await fetchPieces(withPieces, dir, { retryForMs: 120_000, ...options });
    return undefined;
  } catch (err) {
    return `${piecesFrom(withPieces)}: ${(err as Error).message}`;
  }
}

/** Another run in 15 minutes, as a transient timer of systemd's; one already set stays as it is. */
export async function retryLater($: Shell, log: Log): Promise<void> {
  const set = await $({
    nothrow: true,
  })`systemd-run --unit=firstboot-retry --on-active=15min ${SERVER_PATHS.command} run`;
  log.warn(
    set.ok
      ? 'firstboot runs again in 15 minutes (firstboot-retry.timer), or at once with: firstboot run'
      : 'firstboot-retry.timer is already set; firstboot run tries at once',
  );
}
