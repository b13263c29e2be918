// An in-memory file system with the payload's Fs shape, for step tests.
import type { Fs, Stat } from '../../payload/lib/fs';

interface Entry {
  content?: string;
  link?: string;
  dir?: boolean;
  mode: number;
  owner: string;
}

export interface MemoryFs extends Fs {
  files: Map<string, Entry>;
  /** paths written (files, links, modes), in order: a converged run writes nothing */
  writes: string[];
  /** test setup: a file as it exists before the step runs */
  seed(path: string, content: string, mode?: number, owner?: string): MemoryFs;
}

export function memoryFs(): MemoryFs {
  const files = new Map<string, Entry>();
  const writes: string[] = [];
  const fs: MemoryFs = {
    files,
    writes,
    seed(path, content, mode = 0o644, owner = 'root:root') {
      files.set(path, { content, mode, owner });
      return fs;
    },
    async read(path) {
      return files.get(path)?.content;
    },
    async write(path, content, { mode, owner = 'root:root' }) {
      writes.push(path);
      files.set(path, { content, mode, owner });
    },
    async stat(path): Promise<Stat | undefined> {
      const e = files.get(path);
      if (!e) return undefined;
      return { mode: e.mode, owner: e.owner, isDirectory: !!e.dir, isSymlink: e.link !== undefined };
    },
    async list(dir) {
      const prefix = dir.endsWith('/') ? dir : dir + '/';
      return [...files.keys()]
        .filter((p) => p.startsWith(prefix) && !p.slice(prefix.length).includes('/'))
        .map((p) => p.slice(prefix.length))
        .sort();
    },
    async remove(path) {
      for (const p of [...files.keys()])
        if (p === path || p.startsWith(path + '/')) {
          files.delete(p);
          writes.push(p);
        }
    },
    async mkdir(path, { mode, owner = 'root:root' }) {
      writes.push(path);
      files.set(path, { dir: true, mode, owner });
    },
    async readlink(path) {
      return files.get(path)?.link;
    },
    async symlink(target, path) {
      writes.push(path);
      files.set(path, { link: target, mode: 0o777, owner: 'root:root' });
    },
    async chmod(path, mode) {
      const e = files.get(path);
      if (!e) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      writes.push(path);
      e.mode = mode;
    },
  };
  return fs;
}
