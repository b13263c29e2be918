// fail2ban: an sshd jail on the systemd journal (Debian 12 and 13 have no /var/log/auth.log) and a
// recidive jail on fail2ban's own log. Everything goes into firstboot's own drop-ins, read after the
// package's files (jail.conf, jail.d/*.conf such as Debian's defaults-debian.conf, then jail.local, then
// jail.d/*.local), so they win without replacing anything an admin wrote. A configuration fail2ban's own
// test rejects is rolled back before it can take down a running fail2ban.
import type { Fail2banPlan } from '../../contract/plan';
import type { Step } from '../step';
import type { Fs, Stat } from '../lib/fs';
import type { Output, Shell } from '../lib/shell';
import { filesDrift, header, writeFiles, type FileSpec } from '../lib/files';
import { isActive, isEnabled, unitsDown } from '../lib/systemd';
import { PROBE_CLIENT } from '../lib/probe';
import { journalMatch, SSHD_JOURNAL } from '../lib/journal';

const LOG = '/var/log/fail2ban.log';
const SERVER_START_SECONDS = 30;
const BAN_ACTION = 'iptables-multiport';

/**
 * The jails. Why each line, kept here rather than in the file, whose bytes every user-data carries:
 * - banaction: iptables, which ufw drives too (Debian 13's defaults-debian.conf picks nftables).
 * - journalmatch on the jail, not the filter: Debian 13's defaults-debian.conf sets it on the jail,
 *   which beats the filter's. Only what sshd logs as root, by fields journald records itself: a process
 *   name or a syslog tag is anyone's to choose, and a forged "Failed password" line would ban the
 *   address it names.
 * - recidive reads a file, not the journal: Debian 13's defaults-debian.conf sets backend = systemd for
 *   every jail.
 */
function jails(plan: Fail2banPlan): FileSpec {
  const { bantime, findtime, maxretry } = plan.recidive;
  return {
    path: '/etc/fail2ban/jail.d/firstboot.local',
    mode: 0o644,
    content: `${header('the sshd and recidive jails')}
[DEFAULT]
bantime = ${plan.bantime}
findtime = ${plan.findtime}
maxretry = ${plan.maxretry}
ignoreip = 127.0.0.1/8 ::1 ${PROBE_CLIENT}
banaction = ${BAN_ACTION}
banaction_allports = iptables-allports

[sshd]
enabled = true
port = ${plan.sshPort}
backend = systemd
journalmatch = ${journalMatch(SSHD_JOURNAL)}

[recidive]
enabled = true
logpath = ${LOG}
backend = auto
bantime = ${bantime}
findtime = ${findtime}
maxretry = ${maxretry}
`,
  };
}

/**
 * The sshd filter, extended for OpenSSH 9.8+ (Debian 13), whose per-connection process logs as
 * sshd-session. fail2ban 1.0.2 (Debian 12, Ubuntu 24.04) matches only lines from "sshd[PID]:", so
 * "sshd-session[PID]:" lines would never count; this is fail2ban 1.1's own fix (fail2ban/fail2ban#3782),
 * a no-op there.
 */
const sshdFilter: FileSpec = {
  path: '/etc/fail2ban/filter.d/sshd.d/firstboot.local',
  mode: 0o644,
  content: `${header('the sshd filter, extended to sshd-session')}[DEFAULT]
_daemon = sshd(?:-session)?
`,
};

/**
 * fail2ban restores bans from its database at start (every upgrade reboot); Debian purges it after a
 * day. Kept as long as the longest ban, the recidive jail's (jail.conf's advice), so a reboot does not
 * end it early.
 */
function server(plan: Fail2banPlan): FileSpec {
  return {
    path: '/etc/fail2ban/fail2ban.d/firstboot.local',
    mode: 0o644,
    content: `${header('how long bans are kept in the database')}[Definition]
dbpurgeage = ${plan.recidive.bantime}
`,
  };
}

/** What the step writes, for the test that feeds it to Debian's real fail2ban. */
export const fail2banFiles = (plan: Fail2banPlan) => [jails(plan), sshdFilter, server(plan)];

const tail = (out: Output) => `${out.stdout}\n${out.stderr}`.trim().split('\n').slice(-3).join(' / ');

interface Saved {
  path: string;
  content?: string;
  stat?: Stat;
}

async function restore(fs: Fs, saved: Saved[]): Promise<void> {
  for (const { path, content, stat } of saved) {
    if (content === undefined || !stat) await fs.remove(path);
    else if ((await fs.read(path)) !== content) await fs.write(path, content, { mode: stat.mode, owner: stat.owner });
  }
}

/** systemctl returns before fail2ban-server has read its jails; the socket answers once it has. */
async function waitForServer($: Shell): Promise<void> {
  for (let second = 0; second < SERVER_START_SECONDS; second++) {
    if ((await $({ nothrow: true })`fail2ban-client ping`).ok) return;
    await $`sleep 1`;
  }
  throw new Error(`fail2ban did not answer within ${SERVER_START_SECONDS} s of its restart (journalctl -u fail2ban)`);
}

export const fail2ban: Step<'fail2ban'> = {
  id: 'fail2ban',
  after: ['packages'],
  async check({ params, $, fs }) {
    const drift = await filesDrift(fs, fail2banFiles(params));
    if (!(await fs.stat(LOG))) drift.push(`${LOG} is missing (the recidive jail reads it)`);
    return [...drift, ...(await unitsDown($, ['fail2ban']))];
  },
  async apply({ params, $, fs }) {
    const saved: Saved[] = [];
    for (const { path } of fail2banFiles(params))
      saved.push({ path, content: await fs.read(path), stat: await fs.stat(path) });
    const wrote = await writeFiles(fs, fail2banFiles(params));
    // fail2ban refuses a jail whose log file does not exist yet, and on Debian 12 the first start
    // fails (no auth.log) before fail2ban has ever written its log; logrotate's mode and group
    if (!(await fs.stat(LOG))) await fs.write(LOG, '', { mode: 0o640, owner: 'root:adm' });

    const test = await $({ nothrow: true })`fail2ban-client -t`;
    if (!test.ok) {
      await restore(fs, saved);
      throw new Error(`fail2ban rejects the configuration, previous files restored: ${tail(test)}`);
    }
    if (!(await isEnabled($, 'fail2ban'))) await $`systemctl enable fail2ban`;
    // A restart, not `fail2ban-client reload`: fail2ban 1.1's reload drops an action the jail did not
    // have before (the package's first start on Debian 13 used nftables), leaving bans that block
    // nothing. Bans come back from the database on start.
    if (wrote || !(await isActive($, 'fail2ban'))) {
      await $`systemctl restart fail2ban`;
      await waitForServer($);
    }
  },
  async verify({ params, $ }) {
    const problems = await unitsDown($, ['fail2ban']);
    const q = $({ nothrow: true });
    const sshd = await q`fail2ban-client status sshd`;
    if (!sshd.ok) return [...problems, `the sshd jail is not running: ${tail(sshd)}`];
    const matches = /Journal matches:\s*(.*)/.exec(sshd.stdout)?.[1].trim();
    if (matches !== journalMatch(SSHD_JOURNAL))
      problems.push(`the sshd jail reads other journal entries than sshd's own as root: ${matches ?? '?'}`);
    const actions = await q`fail2ban-client get sshd actions`;
    if (!actions.stdout.includes(BAN_ACTION))
      problems.push(`the sshd jail does not ban with ${BAN_ACTION}: ${tail(actions)}`);
    const bantime = (await q`fail2ban-client get sshd bantime`).stdout.trim();
    if (bantime !== String(params.bantimeSeconds))
      problems.push(`the sshd jail bans for ${bantime || '?'} s, wants ${params.bantimeSeconds} (${params.bantime})`);
    const recidive = await q`fail2ban-client status recidive`;
    if (!recidive.ok) problems.push(`the recidive jail is not running: ${tail(recidive)}`);
    return problems;
  },
};
