// A journal for the recording shell: entries as journald stores them (the fields it records itself and
// those the sender chose), answered to `journalctl ... -o cat` with journalctl's own matching: `-t` is
// SYSLOG_IDENTIFIER, FIELD=VALUE matches of different fields must all hold and one field's values are
// alternatives, and "+" separates alternative groups.
import type { Reply } from './shell';

export type Entry = Record<string, string>;

/** What journalctl prints with `-o cat` for the matches on `cmd`'s command line (options other than -t ignored). */
export function journalctl(entries: Entry[], cmd: string): Reply {
  const args = cmd.split(/\s+/).slice(1);
  const tags: string[] = [];
  const groups: Map<string, string[]>[] = [new Map()];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '-t') tags.push(args[++i]);
    else if (arg === '+') groups.push(new Map());
    else if (/^[A-Z_]+=/.test(arg)) {
      const [field, value] = [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)];
      const group = groups.at(-1)!;
      group.set(field, [...(group.get(field) ?? []), value]);
    }
  }
  const holds = (e: Entry, group: Map<string, string[]>) =>
    [...group].every(([field, values]) => values.includes(e[field]));
  const shown = entries.filter(
    (e) => (!tags.length || tags.includes(e.SYSLOG_IDENTIFIER)) && groups.some((g) => holds(e, g)),
  );
  return { stdout: shown.map((e) => `${e.MESSAGE}\n`).join('') };
}
