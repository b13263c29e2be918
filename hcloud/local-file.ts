import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Rewrites a file in ~/.ssh through a temporary file and a rename, so ssh never reads half a file,
 * with mode 0600 (ssh refuses a config others can write). A missing file reads as empty.
 */
export async function rewrite(path: string, change: (text: string) => string): Promise<void> {
  const before = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
  const after = change(before);
  if (after === before) return;
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.firstboot-${process.pid}`;
  await writeFile(temporary, after, { mode: 0o600 });
  await rename(temporary, path);
}
