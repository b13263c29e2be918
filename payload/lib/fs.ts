// The file operations steps use, so tests can pass an in-memory file system with the same shape.
import {
  chmod,
  chown,
  lstat,
  mkdir,
  readdir,
  readFile,
  readlink,
  rename,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { linkEnd } from '../../contract/links';

export interface Stat {
  mode: number;
  /** "user:group" */
  owner: string;
  isDirectory: boolean;
  isSymlink: boolean;
}

export interface Fs {
  /** the file's text, or undefined if it does not exist */
  read(path: string): Promise<string | undefined>;
  /**
   * Whole or not at all: a temporary file beside the real target, then a rename. A symbolic link is
   * written through and stays a link (resolv.conf and hosts are links on some systems); a device or
   * FIFO is written in place. `mode` is the step's; owner "user" or "user:group", else the file keeps
   * the owner it has (root's for a new one).
   */
  write(path: string, content: string, opts: { mode: number; owner?: string }): Promise<void>;
  stat(path: string): Promise<Stat | undefined>;
  list(dir: string): Promise<string[]>;
  remove(path: string): Promise<void>;
  mkdir(path: string, opts: { mode: number; owner?: string }): Promise<void>;
  readlink(path: string): Promise<string | undefined>;
  /** replaces whatever is at path */
  symlink(target: string, path: string): Promise<void>;
  chmod(path: string, mode: number): Promise<void>;
}

const missing = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT';

const realTarget = async (path: string) =>
  (await linkEnd(path, readlink)) ?? Promise.reject(new Error(`${path} is a loop of symbolic links`));

/** name <-> id from /etc/passwd or /etc/group, read each time: the admin step creates users as we go */
async function table(file: string): Promise<[name: string, id: number][]> {
  return (await readFile(file, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(':'))
    .map(([name, , id]) => [name, Number(id)]);
}

async function ids(owner: string): Promise<[uid: number, gid: number]> {
  const [user, group = user] = owner.split(':');
  const uid = (await table('/etc/passwd')).find(([name]) => name === user)?.[1];
  const gid = (await table('/etc/group')).find(([name]) => name === group)?.[1];
  if (uid === undefined || gid === undefined) throw new Error(`no such user or group: ${owner}`);
  return [uid, gid];
}

async function names(uid: number, gid: number): Promise<string> {
  const user = (await table('/etc/passwd')).find(([, id]) => id === uid)?.[0] ?? String(uid);
  const group = (await table('/etc/group')).find(([, id]) => id === gid)?.[0] ?? String(gid);
  return `${user}:${group}`;
}

export const nodeFs: Fs = {
  async read(path) {
    try {
      return await readFile(path, 'utf8');
    } catch (err) {
      if (missing(err)) return undefined;
      throw err;
    }
  },
  async write(path, content, { mode, owner }) {
    const target = await realTarget(path);
    const existing = await stat(target).catch((err) => {
      if (missing(err)) return undefined;
      throw err;
    });
    if (existing && !existing.isFile()) {
      if (existing.isDirectory()) throw new Error(`${path} is a directory`);
      return writeFile(target, content); // a device or FIFO: the thing itself is meant
    }
    await mkdir(dirname(target), { recursive: true });
    const tmp = join(dirname(target), `.${basename(target)}.firstboot-tmp`);
    try {
      await writeFile(tmp, content, { mode });
      await chmod(tmp, mode);
      if (owner) await chown(tmp, ...(await ids(owner)));
      else if (existing) await chown(tmp, existing.uid, existing.gid);
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  },
  async stat(path) {
    try {
      const s = await lstat(path);
      return {
        mode: s.mode & 0o7777,
        owner: await names(s.uid, s.gid),
        isDirectory: s.isDirectory(),
        isSymlink: s.isSymbolicLink(),
      };
    } catch (err) {
      if (missing(err)) return undefined;
      throw err;
    }
  },
  async list(dir) {
    try {
      return (await readdir(dir)).sort();
    } catch (err) {
      if (missing(err)) return [];
      throw err;
    }
  },
  async remove(path) {
    await rm(path, { force: true, recursive: true });
  },
  async mkdir(path, { mode, owner }) {
    await mkdir(path, { recursive: true, mode });
    await chmod(path, mode);
    if (owner) await chown(path, ...(await ids(owner)));
  },
  async readlink(path) {
    try {
      return await readlink(path);
    } catch {
      return undefined;
    }
  },
  async symlink(target, path) {
    const tmp = `${path}.firstboot-tmp`;
    await rm(tmp, { force: true });
    await symlink(target, tmp);
    await rename(tmp, path);
  },
  async chmod(path, mode) {
    await chmod(path, mode);
  },
};
