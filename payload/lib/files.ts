// Files a step owns: compare with what is on disk, write only what differs (that keeps "changed" honest).
import type { Fs } from './fs';

export interface FileSpec {
  path: string;
  content: string;
  mode: number;
  /** "user:group"; root:root when absent */
  owner?: string;
}

const octal = (mode: number) => mode.toString(8).padStart(4, '0');

/** What differs between the file on disk and the spec, as messages; empty when it matches. */
export async function fileDrift(fs: Fs, spec: FileSpec): Promise<string[]> {
  const stat = await fs.stat(spec.path);
  if (!stat) return [`${spec.path} is missing`];
  const drift: string[] = [];
  if ((await fs.read(spec.path)) !== spec.content) drift.push(`${spec.path} differs`);
  if (stat.mode !== spec.mode) drift.push(`${spec.path} has mode ${octal(stat.mode)}, wants ${octal(spec.mode)}`);
  const owner = spec.owner ?? 'root:root';
  if (stat.owner !== owner) drift.push(`${spec.path} is owned by ${stat.owner}, wants ${owner}`);
  return drift;
}

export async function filesDrift(fs: Fs, specs: FileSpec[]): Promise<string[]> {
  return (await Promise.all(specs.map((spec) => fileDrift(fs, spec)))).flat();
}

/** Writes the file if it differs; true when it wrote. */
export async function writeFile(fs: Fs, spec: FileSpec): Promise<boolean> {
  if ((await fileDrift(fs, spec)).length === 0) return false;
  await fs.write(spec.path, spec.content, { mode: spec.mode, owner: spec.owner ?? 'root:root' });
  return true;
}

/** Writes every file that differs; true when any was written. */
export async function writeFiles(fs: Fs, specs: FileSpec[]): Promise<boolean> {
  let wrote = false;
  for (const spec of specs) wrote = (await writeFile(fs, spec)) || wrote;
  return wrote;
}

/**
 * Of these paths, the ones that exist with any of `mask`'s bits (by default: that group or others have
 * any access to).
 */
export async function openToOthers(fs: Fs, paths: string[], mask = 0o077): Promise<{ path: string; mode: number }[]> {
  const open: { path: string; mode: number }[] = [];
  for (const path of paths) {
    const stat = await fs.stat(path);
    if (stat && !stat.isSymlink && stat.mode & mask) open.push({ path, mode: stat.mode });
  }
  return open;
}

/** Paths that may have none of `mask`'s bits: what a check says of each that has, and what apply sets. */
export interface ModeRule {
  paths: string[];
  mask: number;
}

export async function modeDrift(fs: Fs, rules: ModeRule[]): Promise<{ path: string; mode: number; problem: string }[]> {
  const drift = [];
  for (const { paths, mask } of rules) {
    for (const { path, mode } of await openToOthers(fs, paths, mask)) {
      drift.push({
        path,
        mode: mode & ~mask,
        problem: `${path} has mode ${mode.toString(8)}, wants ${(0o777 & ~mask).toString(8)} or stricter`,
      });
    }
  }
  return drift;
}

/** how every file firstboot writes whole begins, by which a run tells its own files from an admin's */
export const OWN_MARK = '# Written by firstboot: ';
/** A file's first line, so an admin who opens it knows who wrote it. */
export const header = (what: string) => `${OWN_MARK}${what}. Changes here are undone on its next run.\n`;

/**
 * A "key value" or "key = value" file (login.defs, pwquality.conf) with each key of `settings` set once,
 * where it was (or at the end); comments and other keys left alone.
 */
export function withSettings(
  text: string,
  settings: [string, string][],
  line: (key: string, value: string) => string,
): string {
  const wanted = new Map(settings);
  const done = new Set<string>();
  const lines = text
    .replace(/\n$/, '')
    .split('\n')
    .flatMap((current) => {
      const key = /^\s*([A-Za-z_]+)(?=[\s=])/.exec(current)?.[1];
      if (!key || !wanted.has(key)) return [current];
      if (done.has(key)) return [];
      done.add(key);
      return [line(key, wanted.get(key)!)];
    });
  for (const [key, value] of settings) if (!done.has(key)) lines.push(line(key, value));
  return lines.join('\n') + '\n';
}
