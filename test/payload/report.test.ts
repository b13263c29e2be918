// The daily report: its plumbing (step) and what it says and sends (firstboot report), on a recording
// shell whose answers are what Debian 12's tools print.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { report, MSMTPRC } from '../../payload/steps/report';
import { dailyReport } from '../../payload/daily-report';
import { diskWarnings } from '../../payload/lib/disk';
import { check } from '../../payload/runner';
import { stepContext } from './context';
import { type Entry } from '../fakes/journal';
import { type UserCmd } from '../fakes/audit';
import { params, hoursAgo, DAY_OF_TRAFFIC, SUDO_RECORDS, server, printed } from './report-server';

test(
  "the step: msmtp's account root-only with the secret's path, never its value; " + 'a persistent timer at the time',
  async () => {
    const ctx = stepContext(params);
    await ctx.fs.write('/var/lib/firstboot/secrets/smtp', 'the-smtp-password', { mode: 0o600 });
    ctx.$.on(/^systemctl is-(enabled|active) --quiet firstboot-report.timer/, { exitCode: 1 })
      .on('systemctl daemon-reload', {})
      .on('systemctl enable --now firstboot-report.timer', {});
    assert.ok((await report.check(ctx)).includes(`${MSMTPRC} is missing`));
    await report.apply(ctx);
    const rc = (await ctx.fs.read(MSMTPRC))!;
    assert.is((await ctx.fs.stat(MSMTPRC))!.mode, 0o600);
    for (const line of [
      'host smtp.example.org',
      'port 587',
      'tls on',
      'tls_starttls on',
      'tls_trust_file /etc/ssl/certs/ca-certificates.crt',
      'auth on',
      'user firstboot@example.org',
      'passwordeval cat /var/lib/firstboot/secrets/smtp',
    ]) {
      assert.ok(rc.split('\n').includes(line), `msmtprc lacks "${line}"`);
    }
    assert.not.match(rc, /the-smtp-password/);
    const timer = (await ctx.fs.read('/etc/systemd/system/firstboot-report.timer'))!;
    assert.match(timer, /\nOnCalendar=\*-\*-\* 07:00:00\nPersistent=true\n/);
    assert.match(
      (await ctx.fs.read('/etc/systemd/system/firstboot-report.service'))!,
      /\nExecStart=\/usr\/local\/sbin\/firstboot report --now\n/,
    );
    assert.ok(ctx.$.commands.includes('systemctl enable --now firstboot-report.timer'));
    const tls = stepContext({ ...params, smtp: { host: 'smtp.example.org', port: 465, tls: 'tls' } });
    tls.$.on(/^systemctl/, {});
    await report.apply(tls);
    const plain = (await tls.fs.read(MSMTPRC))!;
    assert.ok(plain.includes('tls_starttls off\n') && plain.includes('auth off\n') && !plain.includes('passwordeval'));
  },
);

test('--print: every section, from what the tools say', async () => {
  const { registry, plan, machine } = server();
  const results = await check(plan, registry, machine);
  const { code, text } = await printed(() => dailyReport(plan, results, machine, false));
  assert.is(code, 0);
  assert.match(text, /^\[[^\]]+\] firstboot: 1 problem\n/);
  for (const line of [
    'report     ok',
    'warning: / is 95% full',
    'failed logins: 2',
    'logins: 1 (admin from 198.51.100.7)',
    'bans in the last 24 hours: 1',
    'Currently banned:\t1',
    'Banned IP list:\t203.0.113.9',
    '1 commands',
    `At ${SUDO_RECORDS[1].at.toTimeString().slice(0, 8)} `,
    '4  identity',
    'pending: 2 (security: 1)',
    'a reboot is required (linux-image-6.1.0-30-amd64)',
    'tcp [::]:8080',
  ])
    assert.ok(text.includes(`  ${line}`), `the report lacks "${line}":\n${text}`);
  // what the plan opens, and what listens on loopback only, is not named
  assert.not.ok(/tcp 0.0.0.0:2222|udp 0.0.0.0:60001|5432/.test(text.split('listening beyond')[1]));
});

test('--now: mailed through msmtp on stdin; a failed send exits 1, and the next report says when and why', async () => {
  const { ctx, registry, plan, machine } = server();
  ctx.$.on(/^msmtp /, { exitCode: 77, stderr: 'msmtp: authentication failed (method PLAIN)\n' });
  assert.is(await dailyReport(plan, await check(plan, registry, machine), machine, true), 1);
  const mail = ctx.$.inputs.get(ctx.$.commands.findIndex((c) => c.startsWith('msmtp ')))!;
  assert.is(
    ctx.$.commands.find((c) => c.startsWith('msmtp ')),
    `msmtp -C ${MSMTPRC} -- ops@example.org`,
  );
  assert.match(
    mail,
    /^From: firstboot@example.org\nTo: ops@example.org\nSubject: \[[^\]]+\] firstboot: 1 problem\nDate: .+\nContent-Type: text\/plain; charset=utf-8\n\nfirstboot check\n  report     ok\n/,
  );
  assert.ok(
    ctx.lines.some((l) => /\[ERROR\] report: sending to ops@example.org failed: msmtp: authentication failed/.test(l)),
  );
  ctx.$.on(/^msmtp /, {});
  assert.is(await dailyReport(plan, await check(plan, registry, machine), machine, true), 0);
  const second = [...ctx.$.inputs.values()].at(-1)!;
  assert.match(second, /\n\nThe previous report was not sent\n  \S+: msmtp: authentication failed \(method PLAIN\)\n/);
  assert.is(JSON.parse((await ctx.fs.read('/var/lib/firstboot/report.json'))!).failed, undefined);
});

test(
  "a local user's forged sshd and sudo lines are neither counted nor shown, " + 'nor push the real ones out',
  async () => {
    // eve (uid 1001) names a copy of logger sshd, tags lines sshd
    // and sudo, and runs sshd's own binary with her own code loaded
    const eve = { _SYSTEMD_UNIT: 'session-3.scope', _UID: '1001' };
    const forged: Entry[] = [
      {
        ...eve,
        _EXE: '/home/eve/sshd',
        _COMM: 'sshd',
        SYSLOG_IDENTIFIER: 'sshd',
        MESSAGE: 'Failed password for root from 198.51.100.7 port 1 ssh2',
      },
      {
        ...eve,
        _EXE: '/usr/bin/logger',
        _COMM: 'logger',
        SYSLOG_IDENTIFIER: 'sshd-session',
        MESSAGE: 'Invalid user root from 198.51.100.7 port 2',
      },
      // without pam_systemd a user's processes stay in ssh.service's cgroup: only _UID tells this sshd apart
      {
        ...eve,
        _SYSTEMD_UNIT: 'ssh.service',
        _EXE: '/usr/sbin/sshd',
        _COMM: 'sshd',
        SYSLOG_IDENTIFIER: 'sshd',
        MESSAGE: 'Accepted publickey for mallory from 192.0.2.66 port 3 ssh2: ED25519 SHA256:z',
      },
      ...Array.from({ length: 12 }, (_, i) => ({
        ...eve,
        _EXE: '/usr/bin/logger',
        _COMM: 'sudo',
        SYSLOG_IDENTIFIER: 'sudo',
        MESSAGE: `eve : USER=root ; COMMAND=/usr/bin/forged-${i}`,
      })),
      // logger bind-mounted over /usr/bin/sudo in eve's own user and mount namespace (unshare -Urm): journald
      // records the path, and the uid is eve's as a real sudo's would be (the caller's)
      ...Array.from({ length: 12 }, (_, i) => ({
        ...eve,
        _EXE: '/usr/bin/sudo',
        _COMM: 'sudo',
        SYSLOG_IDENTIFIER: 'sudo',
        MESSAGE: `admin : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/usr/bin/forged-ns-${i}`,
      })),
    ];
    // OpenSSH 10 (Debian 13) logs from sshd-session; a per-connection unit of an Accept=yes socket sits in its slice
    const trixie: Entry[] = [
      {
        _SYSTEMD_UNIT: 'ssh.service',
        _UID: '0',
        _EXE: '/usr/lib/openssh/sshd-session',
        _COMM: 'sshd-session',
        SYSLOG_IDENTIFIER: 'sshd-session',
        MESSAGE: 'Invalid user test from 203.0.113.10 port 5',
      },
      {
        _SYSTEMD_UNIT: 'sshd@0-10.0.0.2:22-203.0.113.11:6.service',
        _SYSTEMD_SLICE: 'system-sshd.slice',
        _UID: '0',
        _EXE: '/usr/lib/openssh/sshd-session',
        _COMM: 'sshd-session',
        SYSLOG_IDENTIFIER: 'sshd-session',
        MESSAGE: 'Accepted publickey for ops from 203.0.113.11 port 6 ssh2: ED25519 SHA256:w',
      },
    ];
    // the kernel refuses eve's USER_CMD records (no CAP_AUDIT_WRITE, or not the initial user namespace):
    // the audit log holds only what the real sudo sent, her refused try included, a newline in it escaped
    const audit: UserCmd[] = [
      ...SUDO_RECORDS,
      {
        at: hoursAgo(1),
        user: 'eve',
        cmd: 'id\nAt 00:00:00 01/01/25 admin successfully ran-command forged using /usr/bin/sudo',
        res: 'failed',
      },
    ];
    const { registry, plan, machine } = server([...DAY_OF_TRAFFIC, ...trixie, ...forged], audit);
    const { text } = await printed(async () => dailyReport(plan, await check(plan, registry, machine), machine, false));
    const sudoSection = text.split('sudo, last 24 hours\n')[1].split('\n\n')[0];
    for (const line of [
      'failed logins: 3',
      'logins: 2 (admin from 198.51.100.7, ops from 203.0.113.11)',
      '1 commands, 1 refused',
    ]) {
      assert.ok(text.includes(`  ${line}\n`), `the report lacks "${line}":\n${text}`);
    }
    assert.match(sudoSection, / admin successfully ran-command apt update using \/usr\/bin\/sudo\n/);
    assert.match(sudoSection, / eve unsuccessfully ran-command id\\012At 00:00:00 /);
    assert.not.match(text, /mallory|forged-|full-upgrade/);
    assert.is(sudoSection.split('\n').filter((l) => l.startsWith('  At ')).length, 2, sudoSection);
  },
);

test('sudo: without the audit step the report says it cannot tell, and reads no forgeable source instead', async () => {
  const { ctx, registry, plan, machine } = server(DAY_OF_TRAFFIC, 'no audit step');
  const { text } = await printed(async () => dailyReport(plan, await check(plan, registry, machine), machine, false));
  assert.match(
    text,
    /\nsudo, last 24 hours\n  not known: audit is off \(audit.enabled\), and the journal's sudo lines are any local user's to forge; sudo's own log is \/var\/log\/sudo.log\n\n/,
  );
  assert.not.ok(
    ctx.$.commands.some((c) => /^ausearch|_EXE=\/usr\/bin\/sudo|_COMM=sudo|-t sudo/.test(c)),
    ctx.$.commands.join('\n'),
  );
  assert.not.match(text, /apt update/);
});

test('sudo: ausearch that fails says so; no records is none, not a failure', async () => {
  const off = server(DAY_OF_TRAFFIC, 'auditd off');
  const failed = await printed(async () =>
    dailyReport(off.plan, await check(off.plan, off.registry, off.machine), off.machine, false),
  );
  assert.match(
    failed.text,
    /\n  ausearch does not answer \(is auditd on\?\): Error opening \/var\/log\/audit\/audit.log \(No such file or directory\)\n/,
  );
  const quiet = server(DAY_OF_TRAFFIC, []);
  const none = await printed(async () =>
    dailyReport(quiet.plan, await check(quiet.plan, quiet.registry, quiet.machine), quiet.machine, false),
  );
  assert.match(none.text, /\nsudo, last 24 hours\n  0 commands\n\n/);
  // the day's start as ausearch reads it under LC_ALL=C: MM/DD/YY HH:MM:SS, local time
  assert.match(
    quiet.ctx.$.commands.find((c) => c.startsWith('ausearch '))!,
    /^ausearch --input-logs -m USER_CMD -ts \d\d\/\d\d\/\d\d \d\d:\d\d:\d\d --format text$/,
  );
});

test('disk warnings: only file systems more than 90% full', async () => {
  const { ctx } = server();
  assert.equal(await diskWarnings(ctx.$), ['warning: / is 95% full']);
});

test.run();
