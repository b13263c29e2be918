// Stand-in for zx's build/vendor-core.cjs, swapped in by scripts/build.ts.
// zx/core takes chalk, which and ps from that file. The payload runs as root under systemd with no
// terminal, so it needs no colours, only a PATH lookup and a /proc walk: about 35 KB of bundle saved.
// exec, buildCmd, VoidStream and isStringLiteral are zurk's, the same code zx vendors.
import { accessSync, constants, readdirSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export { exec, buildCmd, VoidStream, isStringLiteral } from 'zurk/spawn';

type Paint = ((...text: unknown[]) => string) & { [style: string]: Paint };
export const chalk: Paint = new Proxy(((...text: unknown[]) => text.join(' ')) as Paint, {
  get: (target, key) => (key === 'level' ? 0 : key in target ? Reflect.get(target, key) : chalk),
});

function whichSync(name: string, opts: { nothrow?: boolean } = {}): string | null {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter)) {
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {}
  }
  if (opts.nothrow) return null;
  throw new Error(`not found: ${name}`);
}
export const which = Object.assign(async (name: string, opts?: { nothrow?: boolean }) => whichSync(name, opts), {
  sync: whichSync,
});

/** Descendants of a pid, read from /proc, so zx can kill a timed-out command's whole tree. */
function tree({ pid, recursive }: { pid: number | string; recursive?: boolean }): { pid: string }[] {
  const parents = new Map<string, string[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1];
      parents.set(ppid, [...(parents.get(ppid) ?? []), entry]);
    } catch {}
  }
  const found: { pid: string }[] = [];
  const visit = (parent: string) => {
    for (const child of parents.get(parent) ?? []) {
      found.push({ pid: child });
      if (recursive) visit(child);
    }
  };
  visit(String(pid));
  return found;
}
export const ps = { tree: async (opts: Parameters<typeof tree>[0]) => tree(opts), treeSync: tree };
