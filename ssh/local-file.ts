// Files on the user's machine (-o FILE, ~/.ssh/config, ~/.ssh/known_hosts), written whole or not at
// all: the content goes to a temporary file beside the real target, then a rename. A symbolic link
// (a dotfiles repository's) is written through and stays a link; a device or a FIFO (/dev/null,
// /dev/stdout, a pipe) is written in place, never replaced; an existing file keeps its mode and,
// where we may set it, its owner.
import { chmod, chown, mkdir, readFile, readlink, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { linkEnd } from '../contract/links';
import { Fail } from '../contract/fail';

async function finalTarget(path: string): Promise<string> {
  const end = await linkEnd(path, readlink);
  if (end === undefined) throw new Fail(`${path} is a loop of symbolic links`, 2);
  return end;
}

const why = (error: NodeJS.ErrnoException, path: string): string => {
  switch (error.code) {
    case 'ENOENT':
      return `the folder ${dirname(path)} does not exist`;
    case 'EACCES':
    case 'EPERM':
      return `${path} may not be written by this user`;
    case 'EROFS':
      return `${path} is on a read-only file system`;
    case 'ENOSPC':
      return `the disk holding ${path} is full`;
    case 'ENXIO':
      return `${path} is a socket with nothing listening`;
    default:
      return `${path} could not be written (${error.code ?? error.message})`;
  }
};

/**
 * Writes `content` to `path` as described at the top. `mode` is for a file that does not exist yet;
 * `createFolder` makes a missing folder (mode 0700) instead of refusing.
 */
export async function writeFileSafely(
  path: string,
  content: string | Buffer,
  options: { mode: number; createFolder?: boolean },
): Promise<void> {
  const target = await finalTarget(path);
  const existing = await stat(target).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw new Fail(why(error, path), 2);
  });
  if (existing?.isDirectory()) throw new Fail(`${path} is a folder; give a file name`, 2);
  try {
    if (existing && !existing.isFile()) {
      // a device, FIFO or socket: the user meant the thing itself, so nothing to swap in
      await writeFile(target, content);
      return;
    }
    if (options.createFolder) await mkdir(dirname(target), { recursive: true, mode: 0o700 });
    const temporary = join(dirname(target), `.${basename(target)}.firstboot-${randomBytes(4).toString('hex')}`);
    try {
      await writeFile(temporary, content, { mode: existing ? existing.mode & 0o7777 : options.mode, flag: 'wx' });
      if (existing) {
        await chmod(temporary, existing.mode & 0o7777); // writeFile's mode goes through the umask
        if (process.getuid?.() === 0) await chown(temporary, existing.uid, existing.gid);
      }
      await rename(temporary, target);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  } catch (error) {
    if (error instanceof Fail) throw error;
    throw new Fail(why(error as NodeJS.ErrnoException, path), 2);
  }
}

/**
 * Rewrites a file in ~/.ssh with writeFileSafely, so ssh never reads half a file, new files mode 0600
 * (ssh refuses a config others can write). A missing file reads as empty.
 */
export async function rewrite(path: string, change: (text: string) => string): Promise<void> {
  const before = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw new Fail(why(error, path), 2);
  });
  const after = change(before);
  if (after === before) return;
  await writeFileSafely(path, after, { mode: 0o600, createFolder: true });
}
