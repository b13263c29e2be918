// An audit log for the recording shell: USER_CMD records as sudo sends them (libaudit's
// audit_log_user_command: cwd, the command, exe, terminal, res; the kernel adds pid, uid, auid and
// ses, auditd's enriched format the names), answered to `ausearch -m USER_CMD -ts DATE TIME --format
// text` as Debian 12's ausearch (auditd 3.0.9) prints them under LC_ALL=C: one line a record, the login
// user (auid; "system" when unset) and, when sudo ran as another, ", acting as" the caller (uid),
// control characters as \ooo; no record: exit 1 with "<no matches>" on stderr, which is also all it says
// without --input-logs when stdin is no terminal, as for the payload. Only a process with
// CAP_AUDIT_WRITE in the initial user namespace gets a record in: a test puts no forged one here.
import type { Reply } from './shell';

export interface UserCmd {
  at: Date;
  /** the caller's name (uid) */
  user: string;
  /** the login user's name (auid), when it differs from user; "unset" for a process no login started */
  login?: string;
  cmd: string;
  exe?: string;
  res: 'success' | 'failed';
}

const two = (n: number) => String(n).padStart(2, '0');
/** "%T %x" under LC_ALL=C, local time */
const stamp = (t: Date) =>
  `${two(t.getHours())}:${two(t.getMinutes())}:${two(t.getSeconds())} ` +
  `${two(t.getMonth() + 1)}/${two(t.getDate())}/${two(t.getFullYear() % 100)}`;
const escaped = (s: string) =>
  s.replace(/[\x00-\x1f\x7f]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);

/** "-ts MM/DD/YY HH:MM:SS" as ausearch reads it under LC_ALL=C, in local time */
function start(date: string, time: string): Date {
  const [month, day, year] = date.split('/').map(Number);
  const [h, m, s] = time.split(':').map(Number);
  return new Date(2000 + year, month - 1, day, h, m, s);
}

export function ausearch(records: UserCmd[], cmd: string): Reply {
  const args = cmd.split(/\s+/);
  const at = (flag: string) => args.indexOf(flag) + 1;
  if (args[0] !== 'ausearch' || args[at('-m')] !== 'USER_CMD' || args[at('--format')] !== 'text' || !at('-ts')) {
    throw new Error(`the ausearch fake answers "-m USER_CMD -ts DATE TIME --format text" only, got: ${cmd}`);
  }
  // without a terminal on stdin (a timer, a pipe) ausearch reads stdin, not the logs, unless told
  if (!args.includes('--input-logs')) return { exitCode: 1, stderr: '<no matches>\n' };
  if (!/^\d\d\/\d\d\/\d\d$/.test(args[at('-ts')]))
    return { exitCode: 1, stderr: `Error parsing start date (${args[at('-ts')]})\n` };
  const since = start(args[at('-ts')], args[at('-ts') + 1]);
  const shown = records
    .filter((r) => r.at.getTime() >= since.getTime())
    .sort((a, b) => a.at.getTime() - b.at.getTime());
  if (!shown.length) return { exitCode: 1, stderr: '<no matches>\n' };
  return {
    stdout: shown
      .map((r) => {
        const login = r.login === 'unset' ? 'system' : (r.login ?? r.user);
        const who = login === r.user ? login : `${login}, acting as ${r.user},`;
        return (
          `At ${stamp(r.at)} ${who} ${r.res === 'success' ? 'successfully' : 'unsuccessfully'} ran-command ` +
          `${escaped(r.cmd)} using ${r.exe ?? '/usr/bin/sudo'}\n`
        );
      })
      .join(''),
  };
}
