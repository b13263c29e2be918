// What the daily report's tests share: the step's plan, a day of sshd and sudo traffic as Debian 12's journald
// and audit log hold it, a server whose tools answer as Debian 12's do, and a report run with what it printed.
import type { Plan, ReportPlan, StepId } from '../../contract/plan';
import type { Step } from '../../payload/step';
import { stepContext } from './context';
import { journalctl, type Entry } from '../fakes/journal';
import { ausearch, type UserCmd } from '../fakes/audit';

export const params: ReportPlan = {
  id: 'report',
  to: 'ops@example.org',
  from: 'firstboot@example.org',
  time: '07:00',
  smtp: { host: 'smtp.example.org', port: 587, tls: 'starttls', user: 'firstboot@example.org', password: 'smtp' },
  open: ['2222/tcp', '60000:60010/udp'],
};

/**
 * What sshd (OpenSSH 9.2: the listener and each connection's monitor,
 * as root) and sudo log on Debian 12, with journald's own fields.
 */
export const sshd = (MESSAGE: string): Entry => ({
  _SYSTEMD_UNIT: 'ssh.service',
  _UID: '0',
  _EXE: '/usr/sbin/sshd',
  _COMM: 'sshd',
  SYSLOG_IDENTIFIER: 'sshd',
  MESSAGE,
});

export const sudo = (MESSAGE: string): Entry => ({
  _SYSTEMD_UNIT: 'session-1.scope',
  _UID: '1000',
  _EXE: '/usr/bin/sudo',
  _COMM: 'sudo',
  SYSLOG_IDENTIFIER: 'sudo',
  MESSAGE,
});

export const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000);

export const DAY_OF_TRAFFIC: Entry[] = [
  sshd('Invalid user oracle from 203.0.113.9 port 4242'),
  sshd('Failed publickey for admin from 203.0.113.9 port 4243 ssh2: ED25519 SHA256:x'),
  sshd('Accepted publickey for admin from 198.51.100.7 port 50000 ssh2: ED25519 SHA256:y'),
  sudo('admin : PWD=/home/admin ; USER=root ; COMMAND=/usr/bin/apt update'),
];

/** the same sudo command in the audit log, and one from the day before, outside the report's day */
export const SUDO_RECORDS: UserCmd[] = [
  { at: hoursAgo(30), user: 'admin', cmd: 'apt full-upgrade', res: 'success' },
  { at: hoursAgo(2), user: 'admin', cmd: 'apt update', res: 'success' },
];

/** Debian 12's answers on a server with a day of traffic; the plan has the audit step unless told */
export function server(
  journal: Entry[] = DAY_OF_TRAFFIC,
  audit: UserCmd[] | 'no audit step' | 'auditd off' = SUDO_RECORDS,
) {
  const ctx = stepContext(params);
  ctx.$.on(/^df -P /, {
    stdout:
      'Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/sda1 40000 38000 2000 95% /\n' +
      '/dev/sdb1 1000 10 990 1% /data\n',
  })
    .on(/^df -hP /, { stdout: 'Filesystem Size Used Avail Use% Mounted on\n/dev/sda1 38G 36G 2G 95% /\n' })
    .on(/^journalctl --since -24h -q -o cat /, (cmd) => journalctl(journal, cmd))
    .on('fail2ban-client status sshd', {
      stdout:
        'Status for the jail: sshd\n|- Filter\n|  |- Currently failed:\t0\n`- Actions\n   |- Currently banned:\t1\n' +
        '   |- Total banned:\t3\n   `- Banned IP list:\t203.0.113.9\n',
    })
    .on(/^ausearch /, (cmd) =>
      audit === 'auditd off'
        ? { exitCode: 1, stderr: 'Error opening /var/log/audit/audit.log (No such file or directory)\n' }
        : ausearch(audit as UserCmd[], cmd),
    )
    .on(/^aureport /, {
      stdout:
        'Key Summary Report\n===========================\ntotal  key\n===========================\n' +
        '<no events of interest were found>\n\n',
    })
    // the logs only with --input-logs: without a terminal, aureport reads its stdin
    .on(/^aureport --input-logs /, {
      stdout: 'Key Summary Report\n===========================\ntotal  key\n===========================\n4  identity\n',
    })
    .on(/^apt-get -s /, {
      stdout:
        'Inst libssl3 [3.0.1] (3.0.2 Debian-Security:12/stable-security [amd64])\n' +
        'Inst tzdata [2024a] (2024b Debian:12/stable [all])\n',
    })
    .on('free -h', { stdout: '       total used free\nMem:   1.9Gi 400Mi 1.5Gi\n' })
    .on('ss -H -lntu', {
      stdout:
        'udp UNCONN 0 0 0.0.0.0:60001 0.0.0.0:*\ntcp LISTEN 0 128 0.0.0.0:2222 0.0.0.0:*\n' +
        'tcp LISTEN 0 128 127.0.0.1:5432 0.0.0.0:*\ntcp LISTEN 0 128 [::]:8080 [::]:*\n',
    });
  const today = new Date(Date.now() - 3_600_000);
  const stamp =
    `${today.getFullYear()}-${String(today.getMonth() + 1).padStart(2, '0')}-` +
    `${String(today.getDate()).padStart(2, '0')} ${today.toTimeString().slice(0, 8)}`;
  ctx.fs.seed(
    '/var/log/fail2ban.log',
    `2020-01-01 00:00:00,000 fail2ban.actions [1]: NOTICE [sshd] Ban 192.0.2.1\n` +
      `${stamp},123 fail2ban.actions [1]: NOTICE [sshd] Ban 203.0.113.9\n`,
  );
  ctx.fs
    .seed('/run/reboot-required', '*** System restart required ***\n')
    .seed('/run/reboot-required.pkgs', 'linux-image-6.1.0-30-amd64\n');
  const healthy: Step = {
    id: 'report',

    after: [],
    check: async () => [],
    apply: async () => {},
    verify: async () => [],
  };
  const registry = new Map<StepId, Step>([
    ['report', healthy],
    ['audit', { ...healthy, id: 'audit' }],
  ]);
  const plan: Plan = { ...ctx.plan, steps: audit === 'no audit step' ? [params] : [params, { id: 'audit' }] };
  return { ctx, registry, plan, machine: { $: ctx.$, fs: ctx.fs, log: ctx.log } };
}

export async function printed(run: () => Promise<number>): Promise<{ code: number; text: string }> {
  const write = process.stdout.write;
  let text = '';
  process.stdout.write = ((chunk: string) => ((text += chunk), true)) as typeof process.stdout.write;
  try {
    return { code: await run(), text };
  } finally {
    process.stdout.write = write;
  }
}
