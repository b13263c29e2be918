// Where a path's content really lives, for the two writers that keep a symbolic link a link: the CLI's
// (ssh/local-file.ts) and the payload's (payload/lib/fs.ts). Each passes the readlink it already has,
// which keeps a second import of node:fs out of the payload's bundle.
import { dirname, resolve } from 'node:path';

/** The end of a path's chain of symbolic links (which need not exist yet); undefined for a loop. */
export async function linkEnd(path: string, readlink: (path: string) => Promise<string>): Promise<string | undefined> {
  let current = resolve(path);
  // the kernel's own limit of links in a chain
  for (let hop = 0; hop < 40; hop++) {
    const link = await readlink(current).catch(() => undefined);
    if (link === undefined) return current;
    current = resolve(dirname(current), link);
  }
  return undefined;
}
