// The file operations steps use, so tests can pass an in-memory file system with the same shape.
import { chmod, chown, lstat, mkdir, readdir, readFile, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

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
  /** atomic: a temporary file beside the target, then rename; owner is "user" or "user:group" */
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
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.firstboot-tmp`;
    await writeFile(tmp, content, { mode });
    await chmod(tmp, mode);
    if (owner) await chown(tmp, ...(await ids(owner)));
    await rename(tmp, path);
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
