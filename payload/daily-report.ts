// `firstboot report --print | --now`: the daily security report, printed, or mailed through msmtp with
// the account the report step wrote. A send that fails is logged and exits 1 (the timer's run shows
// as failed); the next report, a day later or by hand, says when and why.
import { hostname } from 'node:os';
import type { Plan, ReportPlan } from '../contract/plan';
import { checkLine } from '../contract/status';
import type { CheckResult, Machine } from './runner';
import { diskWarnings, REAL_FILE_SYSTEMS } from './lib/disk';
import { journalArgs, SSHD_JOURNAL, SUDO_JOURNAL } from './lib/journal';
import { MSMTPRC } from './steps/report';

/** the last send: when, or when and why it failed (here, not in SERVER_PATHS, which every payload carries) */
const STATE = '/var/lib/firstboot/report.json';
const DAY = '-24h';

interface State {
  sent?: string;
  failed?: { at: string; error: string };
}

type Section = [title: string, lines: string[]];

const count = (lines: string[], pattern: RegExp) => lines.filter((l) => pattern.test(l)).length;
const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');

async function sections(params: ReportPlan, results: CheckResult[], m: Machine, state: State): Promise<{ problems: number; sections: Section[] }> {
  const $ = m.$({ nothrow: true });
  const out: Section[] = [];
  if (state.failed) out.push(['The previous report was not sent', [`${state.failed.at}: ${state.failed.error}`]]);

  const failing = results.filter((r) => r.problems.length);
  const disk = await diskWarnings(m.$);
  out.push(['firstboot check', [...results.map(checkLine), ...disk]]);

  // by who logged them, not by the tag or name a process gives itself (payload/lib/journal.ts)
  const sshd = lines((await $`journalctl --since ${DAY} -q -o cat ${journalArgs(SSHD_JOURNAL)}`).stdout);
  const accepted = sshd.map((l) => /^Accepted \S+ for (\S+) from (\S+)/.exec(l)).filter((x): x is RegExpExecArray => !!x);
  const logins = [...new Set(accepted.map(([, user, from]) => `${user} from ${from}`))];
  out.push(['SSH, last 24 hours', [
    `failed logins: ${count(sshd, /^(Failed |Invalid user |Connection closed by (invalid|authenticating) user)/)}`,
    `logins: ${accepted.length}${logins.length ? ` (${logins.slice(-10).join(', ')})` : ''}`,
  ]]);

  const jail = (await $`fail2ban-client status sshd`).stdout;
  const f2b = (await m.fs.read('/var/log/fail2ban.log')) ?? '';
  const dayAgo = Date.now() - 86_400_000;
  const bans = lines(f2b).filter((l) => / Ban /.test(l) && new Date(l.slice(0, 19).replace(' ', 'T')).getTime() >= dayAgo);
  out.push(['fail2ban', jail
    ? [`bans in the last 24 hours: ${bans.length}`, ...['Currently banned', 'Total banned', 'Banned IP list'].map((k) => new RegExp(`${k}:\\s*(.*)`).exec(jail)?.[0].trim() ?? '')].filter(Boolean)
    : ['fail2ban-client does not answer']]);

  const sudo = lines((await $`journalctl --since ${DAY} -q -o cat ${journalArgs(SUDO_JOURNAL)}`).stdout).filter((l) => /COMMAND=/.test(l));
  out.push(['sudo, last 24 hours', [`${sudo.length} commands`, ...sudo.slice(-10)]]);

  const audit = await $`aureport --key --summary -i -ts yesterday`;
  out.push(['audit events by rule, since yesterday', audit.ok ? lines(audit.stdout) : ['aureport does not answer (is auditd on?)']]);

  const upgrade = (await $`apt-get -s -o Debug::NoLocking=true upgrade`).stdout;
  const reboot = await m.fs.read('/run/reboot-required');
  const rebootFor = lines((await m.fs.read('/run/reboot-required.pkgs')) ?? '');
  out.push(['upgrades', [
    `pending: ${count(lines(upgrade), /^Inst /)} (security: ${count(lines(upgrade), /^Inst .*-security/)})`,
    reboot === undefined ? 'no reboot required' : `a reboot is required${rebootFor.length ? ` (${rebootFor.join(', ')})` : ''}`,
  ]]);

  out.push(['disk and memory', [...lines((await $`df -hP ${REAL_FILE_SYSTEMS}`).stdout), '', ...lines((await $`free -h`).stdout)]]);

  const listening = lines((await $`ss -H -lntu`).stdout).map((l) => l.trim().split(/\s+/)).filter((f) => f.length >= 5);
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
  out.push(['listening beyond what the plan opens (the firewall drops them, unless a rule of yours allows)', unknown.length ? unknown.map(([proto, , , , local]) => `${proto} ${local}`) : ['nothing']]);

  return { problems: failing.length + disk.length, sections: out };
}

const render = (sections: Section[]) => sections.map(([title, body]) => `${title}\n${body.map((l) => (l ? `  ${l}` : '')).join('\n')}`).join('\n\n') + '\n';

/** `results`: what `firstboot check` finds now (main runs it: the runner stays out of this piece). */
export async function dailyReport(plan: Plan, results: CheckResult[], m: Machine, send: boolean): Promise<number> {
  const params = plan.steps.find((s): s is ReportPlan => s.id === 'report')!;
  const state = JSON.parse((await m.fs.read(STATE)) ?? '{}') as State;
  const { problems, sections: body } = await sections(params, results, m, state);
  const host = hostname();
  const subject = `[${host}] firstboot: ${problems ? `${problems} problem${problems > 1 ? 's' : ''}` : 'all checks ok'}`;
  const text = render(body);
  if (!send) return process.stdout.write(`${subject}\n\n${text}`), 0;

  const mail = [`From: ${params.from}`, `To: ${params.to}`, `Subject: ${subject}`, `Date: ${new Date().toUTCString().replace('GMT', '+0000')}`,
    'Content-Type: text/plain; charset=utf-8', '', text].join('\n');
  const sent = await m.$({ nothrow: true, input: mail })`msmtp -C ${MSMTPRC} -- ${params.to}`;
  const at = new Date().toISOString();
  const next: State = sent.ok ? { sent: at } : { ...state, failed: { at, error: (sent.stderr || `msmtp exit ${sent.exitCode}`).trim() } };
  await m.fs.write(STATE, JSON.stringify(next) + '\n', { mode: 0o600 });
  if (!sent.ok) return m.log.error(`report: sending to ${params.to} failed: ${next.failed!.error}`), 1;
  m.log.info(`report: sent to ${params.to} (${subject})`);
  return 0;
}
