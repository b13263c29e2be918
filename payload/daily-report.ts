// `firstboot report --print | --now`: the daily security report, printed, or mailed through msmtp with
// the account the report step wrote. A send that fails is logged and exits 1 (the timer's run shows
// as failed); the next report, a day later or by hand, says when and why.
import { hostname } from 'node:os';
import type { DevtoolsPlan, Plan, ReportPlan } from '../contract/plan';
import { checkLine } from '../contract/status';
import type { CheckResult, Machine } from './runner';
import { diskWarnings, REAL_FILE_SYSTEMS } from './lib/disk';
import { journalArgs, SSHD_JOURNAL } from './lib/journal';
import { MSMTPRC } from './steps/report';
import { toolchainSection } from './toolchain-report';

/** the last send: when, or when and why it failed (here, not in SERVER_PATHS, which every payload carries) */
const STATE = '/var/lib/firstboot/report.json';
const DAY = '-24h';

interface State {
  sent?: string;
  failed?: { at: string; error: string };
}

type Section = [title: string, lines: string[]];

/**
 * sudo's commands as the audit log has them: sudo (Debian's and Ubuntu's, built with linux-audit) sends a
 * USER_CMD record for each command it runs or refuses, and the kernel takes such a record only from a
 * process with CAP_AUDIT_WRITE in the initial user namespace. The journal's sudo lines are no proof: a
 * user can bind-mount a program of their own over /usr/bin/sudo in a user and mount namespace of their
 * own, and journald then records _EXE=/usr/bin/sudo. `since`: ausearch's -ts, a date and time as it
 * reads them under LC_ALL=C (the payload's shell sets it), or a word such as "boot". --input-logs: with
 * no terminal on stdin (the timer, zx, ssh) ausearch and aureport read stdin, not the logs. One line a record,
 * control characters escaped: "At 07:00:01 05/14/25 admin successfully ran-command apt update using
 * /usr/bin/sudo".
 */
export const SUDO_AUDIT = (since: string[]): string[] => [
  'ausearch',
  '--input-logs',
  '-m',
  'USER_CMD',
  '-ts',
  ...since,
  '--format',
  'text',
];

/** "%x %T" under LC_ALL=C, in local time as ausearch reads it: ["05/14/25", "07:00:01"] */
const ausearchTime = (t: Date): string[] => {
  const two = (n: number) => String(n).padStart(2, '0');
  return [
    `${two(t.getMonth() + 1)}/${two(t.getDate())}/${two(t.getFullYear() % 100)}`,
    `${two(t.getHours())}:${two(t.getMinutes())}:${two(t.getSeconds())}`,
  ];
};

const count = (lines: string[], pattern: RegExp) => lines.filter((l) => pattern.test(l)).length;
const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');

/**
 * Without auditd there is no record of sudo's that a local user cannot forge: the report says so rather
 * than show the journal's lines (README, the report). ausearch answers exit 1 and "<no matches>" for none.
 */
async function sudoCommands(plan: Plan, m: Machine, since: Date): Promise<string[]> {
  if (!plan.steps.some((s) => s.id === 'audit')) {
    return [
      "not known: audit is off (audit.enabled), and the journal's sudo lines are any local user's to " +
        "forge; sudo's own log is /var/log/sudo.log",
    ];
  }
  const found = await m.$({ nothrow: true })`${SUDO_AUDIT(ausearchTime(since))}`;
  if (!found.ok && !/^<no matches>$/m.test(found.stderr))
    return [`ausearch does not answer (is auditd on?): ${lines(found.stderr).at(-1) ?? `exit ${found.exitCode}`}`];
  const records = lines(found.stdout);
  const refused = count(records, /^At \S+ \S+ \S+(, acting as \S+,)? unsuccessfully ran-command /);
  return [`${records.length - refused} commands${refused ? `, ${refused} refused` : ''}`, ...records.slice(-10)];
}

async function sections(
  plan: Plan,
  params: ReportPlan,
  results: CheckResult[],
  m: Machine,
  state: State,
): Promise<{ problems: number; sections: Section[] }> {
  const $ = m.$({ nothrow: true });
  const out: Section[] = [];
  if (state.failed) out.push(['The previous report was not sent', [`${state.failed.at}: ${state.failed.error}`]]);

  const failing = results.filter((r) => r.problems.length);
  const disk = await diskWarnings(m.$);
  out.push(['firstboot check', [...results.map(checkLine), ...disk]]);

  // by who logged them, not by the tag or name a process gives itself (payload/lib/journal.ts)
  const sshd = lines((await $`journalctl --since ${DAY} -q -o cat ${journalArgs(SSHD_JOURNAL)}`).stdout);
  const accepted = sshd
    .map((l) => /^Accepted \S+ for (\S+) from (\S+)/.exec(l))
    .filter((x): x is RegExpExecArray => !!x);
  const logins = [...new Set(accepted.map(([, user, from]) => `${user} from ${from}`))];
  out.push([
    'SSH, last 24 hours',
    [
      `failed logins: ${count(sshd, /^(Failed |Invalid user |Connection closed by (invalid|authenticating) user)/)}`,
      `logins: ${accepted.length}${logins.length ? ` (${logins.slice(-10).join(', ')})` : ''}`,
    ],
  ]);

  const jail = (await $`fail2ban-client status sshd`).stdout;
  const f2b = (await m.fs.read('/var/log/fail2ban.log')) ?? '';
  const dayAgo = Date.now() - 86_400_000;
  const bans = lines(f2b).filter(
    (l) => / Ban /.test(l) && new Date(l.slice(0, 19).replace(' ', 'T')).getTime() >= dayAgo,
  );
  out.push([
    'fail2ban',
    jail
      ? [
          `bans in the last 24 hours: ${bans.length}`,
          ...['Currently banned', 'Total banned', 'Banned IP list'].map(
            (k) => new RegExp(`${k}:\\s*(.*)`).exec(jail)?.[0].trim() ?? '',
          ),
        ].filter(Boolean)
      : ['fail2ban-client does not answer'],
  ]);

  out.push(['sudo, last 24 hours', await sudoCommands(plan, m, new Date(dayAgo))]);

  const audit = await $`aureport --input-logs --key --summary -i -ts yesterday`;
  out.push([
    'audit events by rule, since yesterday',
    audit.ok ? lines(audit.stdout) : ['aureport does not answer (is auditd on?)'],
  ]);

  const upgrade = (await $`apt-get -s -o Debug::NoLocking=true upgrade`).stdout;
  const reboot = await m.fs.read('/run/reboot-required');
  const rebootFor = lines((await m.fs.read('/run/reboot-required.pkgs')) ?? '');
  out.push([
    'upgrades',
    [
      `pending: ${count(lines(upgrade), /^Inst /)} (security: ${count(lines(upgrade), /^Inst .*-security/)})`,
      reboot === undefined
        ? 'no reboot required'
        : `a reboot is required${rebootFor.length ? ` (${rebootFor.join(', ')})` : ''}`,
    ],
  ]);

  const devtools = plan.steps.find((s): s is DevtoolsPlan => s.id === 'devtools');
  if (devtools) out.push(['developer toolchain', await toolchainSection(plan, devtools, m)]);

  out.push([
    'disk and memory',
    [...lines((await $`df -hP ${REAL_FILE_SYSTEMS}`).stdout), '', ...lines((await $`free -h`).stdout)],
  ]);

  const listening = lines((await $`ss -H -lntu`).stdout)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 5);
  const unknown = listening.filter(([proto, , , , local]) => {
    const at = local.lastIndexOf(':');
    const [address, port] = [local.slice(0, at), Number(local.slice(at + 1))];
    if (/^(127\.|\[?::1\]?$)|%lo$/.test(address)) return false;
    return !params.open.some((rule) => {
      const [range, p] = rule.split('/');
      const [from, to = from] = range.split(':').map(Number);
      return p === proto && port >= from && port <= to;
    });
  });
  out.push([
    'listening beyond what the plan opens (the firewall drops them, unless a rule of yours allows)',
    unknown.length ? unknown.map(([proto, , , , local]) => `${proto} ${local}`) : ['nothing'],
  ]);

  return { problems: failing.length + disk.length, sections: out };
}

const render = (sections: Section[]) =>
  sections.map(([title, body]) => `${title}\n${body.map((l) => (l ? `  ${l}` : '')).join('\n')}`).join('\n\n') + '\n';

/** `results`: what `firstboot check` finds now (main runs it: the runner stays out of this piece). */
export async function dailyReport(plan: Plan, results: CheckResult[], m: Machine, send: boolean): Promise<number> {
  const params = plan.steps.find((s): s is ReportPlan => s.id === 'report')!;
  const state = JSON.parse((await m.fs.read(STATE)) ?? '{}') as State;
  const { problems, sections: body } = await sections(plan, params, results, m, state);
  const host = hostname();
  const subject = `[${host}] firstboot: ${
    problems ? `${problems} problem${problems > 1 ? 's' : ''}` : 'all checks ok'
  }`;
  const text = render(body);
  if (!send) return (process.stdout.write(`${subject}\n\n${text}`), 0);

  const mail = [
    `From: ${params.from}`,
    `To: ${params.to}`,
    `Subject: ${subject}`,
    `Date: ${new Date().toUTCString().replace('GMT', '+0000')}`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    text,
  ].join('\n');
  const sent = await m.$({ nothrow: true, input: mail })`msmtp -C ${MSMTPRC} -- ${params.to}`;
  const at = new Date().toISOString();
  const next: State = sent.ok
    ? { sent: at }
    : { ...state, failed: { at, error: (sent.stderr || `msmtp exit ${sent.exitCode}`).trim() } };
  await m.fs.write(STATE, JSON.stringify(next) + '\n', { mode: 0o600 });
  if (!sent.ok) return (m.log.error(`report: sending to ${params.to} failed: ${next.failed!.error}`), 1);
  m.log.info(`report: sent to ${params.to} (${subject})`);
  return 0;
}
