import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { audit, auditStep, ruleIdentity, RULES_FILE } from '../../payload/steps/audit';
import { AUDIT_RULES } from '../../contract/audit-rules';
import { stepContext, type TestCtx } from './context';
import { rejects } from '../rejects';
import type { AuditPlan } from '../../contract/plan';

/** the plan turns the step on; the rules are the step's own */
const PLAN: AuditPlan = { id: 'audit' };

/** the step with three of the rules */
const small = auditStep([
  '-w /etc/passwd -p wa -k identity',
  '-w /etc/sudoers.d/ -p wa -k sudoers',
  '-a always,exit -F arch=b64 -S init_module,finit_module,delete_module -k modules',
]);

/** what auditctl -l (audit 3.0.9, x86_64) prints for `small`: no trailing slash, -F key=, syscall number order */
const SMALL_LOADED = [
  '-w /etc/passwd -p wa -k identity',
  '-w /etc/sudoers.d -p wa -k sudoers',
  '-a always,exit -F arch=b64 -S init_module,delete_module,finit_module -F key=modules',
].join('\n');

const SMALL_FILE =
  '# Written by firstboot: audit rules, merged and loaded by augenrules. Changes here are undone on its next run.\n' +
  '# No -e 2 here: locked rules would make a re-run or a change impossible until the next reboot.\n' +
  '-w /etc/passwd -p wa -k identity\n' +
  '-w /etc/sudoers.d/ -p wa -k sudoers\n' +
  '-a always,exit -F arch=b64 -S init_module,finit_module,delete_module -k modules\n';

const STATUS = (enabled: number) =>
  `enabled ${enabled}\nfailure 1\npid 512\nrate_limit 0\nbacklog_limit 8192\nlost 0\nbacklog 0\n` +
  `backlog_wait_time 60000\nbacklog_wait_time_actual 0\nloginuid_immutable 0 unlocked\n`;

/**
 * what `augenrules --load` prints on Debian 12: auditctl -R echoes the status after -D, -b, -f and --backlog_wait_time
 */
const LOADS = { stdout: 'No rules\n' + STATUS(1).repeat(3) };
/** systemctl on Debian 12, whose auditd also ships a SysV script */
const SYSV_SYNC =
  'Synchronizing state of auditd.service with SysV service script with /lib/systemd/systemd-sysv-install.\n' +
  'Executing: /lib/systemd/systemd-sysv-install enable auditd\n';

/** the directories a Debian 12 image has, so watches on them are loadable */
function debianDirs<P>(
  ctx: TestCtx<P>,
  dirs = ['/etc', '/etc/security', '/etc/ssh', '/var/spool', '/usr/bin', '/etc/audit'],
) {
  for (const dir of dirs) ctx.fs.files.set(dir, { dir: true, mode: 0o755, owner: 'root:root' });
}

/** a fresh install: auditd installed by the packages step but not yet started, Debian's default rules only */
function stock<P>(ctx: TestCtx<P>) {
  debianDirs(ctx);
  ctx.$.on('systemctl is-enabled --quiet auditd', { exitCode: 1 })
    .on('systemctl is-active --quiet auditd', { exitCode: 3 })
    .on('augenrules --check', { stdout: '/usr/sbin/augenrules: Rules have changed and should be updated\n' })
    .on('auditctl -l', { stdout: 'No rules\n' })
    .on('auditctl -s', { stdout: STATUS(1) })
    .on('systemctl enable --now auditd', () => {
      ctx.$.on('systemctl is-enabled --quiet auditd', {}).on('systemctl is-active --quiet auditd', {});
      return {
        stderr:
          SYSV_SYNC +
          'Created symlink /etc/systemd/system/multi-user.target.wants/auditd.service → ' +
          '/lib/systemd/system/auditd.service.\n',
      };
    })
    .on('augenrules --load', LOADS);
}

function converged<P>(ctx: TestCtx<P>, loaded: string) {
  ctx.$.on('systemctl is-enabled --quiet auditd', {})
    .on('systemctl is-active --quiet auditd', {})
    .on('augenrules --check', { stdout: '/usr/sbin/augenrules: No change\n' })
    .on('auditctl -l', { stdout: loaded + '\n' });
}

test('a stock machine: writes the rules file, starts auditd and loads the rules', async () => {
  const ctx = stepContext(PLAN);
  stock(ctx);
  assert.equal(await small.check(ctx), [
    `${RULES_FILE} is missing`,
    '/etc/audit/audit.rules is not up to date with /etc/audit/rules.d',
    'auditd is not enabled',
    'auditd is not running',
    '3 of 3 firstboot audit rules are not loaded',
  ]);
  const before = ctx.$.commands.length;
  await small.apply(ctx);
  assert.equal(ctx.$.commands.slice(before), [
    'systemctl is-enabled --quiet auditd',
    'systemctl enable --now auditd',
    'auditctl -s',
    'augenrules --load',
  ]);
  assert.is(await ctx.fs.read(RULES_FILE), SMALL_FILE);
  assert.is((await ctx.fs.stat(RULES_FILE))?.mode, 0o640);
});

test('a converged machine: check is empty and nothing is written or run that changes state', async () => {
  const ctx = stepContext(PLAN);
  stock(ctx);
  await small.apply(ctx);
  converged(ctx, SMALL_LOADED);
  const writes = ctx.fs.writes.length;
  const before = ctx.$.commands.length;
  assert.equal(await small.check(ctx), []);
  assert.is(ctx.fs.writes.length, writes);
  const ran = ctx.$.commands.slice(before);
  assert.ok(
    ran.every((cmd) => /^(augenrules --check|auditctl -l|systemctl is-(enabled|active) )/.test(cmd)),
    ran.join('\n'),
  );
});

test(
  "the step's own rules, from a plan that only turns it on, " + 'load on Debian 12 x86_64 as auditctl -l lists them',
  async () => {
    const ctx = stepContext(PLAN);
    stock(ctx);
    await audit.apply(ctx);
    const lines = ((await ctx.fs.read(RULES_FILE)) ?? '').split('\n');
    // each rule, loaded or (its parent directory missing on this stand-in) skipped with the reason
    for (const rule of AUDIT_RULES)
      assert.ok(lines.includes(rule) || lines.includes(`# skipped, its parent directory is missing: ${rule}`), rule);
    // auditctl -l of the rules as loaded: syscalls by number, keys as -F key=, auid unset as -1
    const listed = [
      ...['/etc/passwd', '/etc/shadow', '/etc/group', '/etc/gshadow', '/etc/security/opasswd'].map(
        (p) => `-w ${p} -p wa -k identity`,
      ),
      '-w /etc/sudoers -p wa -k sudoers',
      '-w /etc/sudoers.d -p wa -k sudoers',
      '-w /etc/ssh/sshd_config -p wa -k sshd',
      '-w /etc/ssh/sshd_config.d -p wa -k sshd',
      ...[
        '/etc/crontab',
        '/etc/cron.d',
        '/etc/cron.hourly',
        '/etc/cron.daily',
        '/etc/cron.weekly',
        '/etc/cron.monthly',
        '/var/spool/cron',
      ].map((p) => `-w ${p} -p wa -k cron`),
      '-w /etc/login.defs -p wa -k login-defs',
      '-w /etc/pam.d -p wa -k pam',
      '-a always,exit -F arch=b64 -S adjtimex,settimeofday,clock_settime -F key=time-change',
      '-w /etc/localtime -p wa -k time-change',
      '-a always,exit -F arch=b64 -S init_module,delete_module,finit_module -F key=modules',
      '-w /usr/bin/kmod -p x -k modules',
      '-a always,exit -F arch=b64 -S mount -F auid>=1000 -F auid!=-1 -F key=mounts',
      '-a always,exit -F arch=b64 -S sethostname,setdomainname -F key=system-locale',
      '-w /etc/hosts -p wa -k system-locale',
      '-w /etc/hostname -p wa -k system-locale',
      '-w /etc/audit -p wa -k audit-config',
      '-a always,exit -S all -F path=/usr/bin/sudo -F perm=x -F auid>=1000 -F auid!=-1 -F key=privileged',
    ].join('\n');
    converged(ctx, listed);
    ctx.$.on('auditctl -s', { stdout: STATUS(1) });
    assert.equal(await audit.check(ctx), []);
    assert.equal(await audit.verify(ctx), []);
  },
);

test('a user edit to the managed file is undone', async () => {
  const ctx = stepContext(PLAN);
  debianDirs(ctx);
  converged(ctx, SMALL_LOADED);
  ctx.fs.seed(RULES_FILE, SMALL_FILE + '-w /tmp -p wa -k mine\n', 0o644);
  assert.equal(await small.check(ctx), [`${RULES_FILE} differs`, `${RULES_FILE} has mode 0644, wants 0640`]);
  // what apply runs on a running auditd: enabling it again only re-syncs the SysV links
  ctx.$.on('systemctl enable --now auditd', { stderr: SYSV_SYNC })
    .on('auditctl -s', { stdout: STATUS(1) })
    .on('augenrules --load', LOADS);
  await small.apply(ctx);
  assert.is(await ctx.fs.read(RULES_FILE), SMALL_FILE);
  assert.equal(await small.check(ctx), []);
});

test('a watch whose parent directory is missing is skipped, so the rules after it still load', async () => {
  // a missing directory under an existing one is kept: the kernel watches it by name until it appears
  const absentDir = auditStep(['-w /etc/netplan/ -p wa -k network']);
  const ctx = stepContext(PLAN);
  stock(ctx);
  await absentDir.apply(ctx);
  assert.match((await ctx.fs.read(RULES_FILE)) ?? '', /^-w \/etc\/netplan\/ -p wa -k network$/m);

  const missing = auditStep(['-w /opt/app/config.yaml -p wa -k app', '-w /etc/passwd -p wa -k identity']);
  const other = stepContext(PLAN);
  stock(other);
  await missing.apply(other);
  const file = (await other.fs.read(RULES_FILE)) ?? '';
  assert.match(file, /^# skipped, its parent directory is missing: -w \/opt\/app\/config.yaml -p wa -k app$/m);
  assert.match(file, /^-w \/etc\/passwd -p wa -k identity$/m);
  assert.ok(other.lines.some((line) => line.includes('[WARN] audit: skipping "-w /opt/app/config.yaml')));
  converged(other, '-w /etc/passwd -p wa -k identity');
  assert.equal(await missing.check(other), []);
  assert.equal(await missing.verify(other), []);
});

test('verify reads auditctl -s and -l: disabled, locked, missing rules and a stopped auditd are problems', async () => {
  const ctx = stepContext(PLAN);
  debianDirs(ctx);
  converged(ctx, SMALL_LOADED);
  ctx.$.on('auditctl -s', { stdout: STATUS(1) });
  assert.equal(await small.verify(ctx), []);

  ctx.$.on('auditctl -s', { stdout: STATUS(0) })
    .on('auditctl -l', { stdout: SMALL_LOADED.split('\n').slice(0, 2).join('\n') + '\n' })
    .on('systemctl is-active --quiet auditd', { exitCode: 3 });
  assert.equal(await small.verify(ctx), [
    'auditing is disabled (auditctl -s: enabled 0)',
    'audit rule not loaded: -a always,exit -F arch=b64 -S init_module,finit_module,delete_module -k modules',
    'auditd is not running',
  ]);

  ctx.$.on('auditctl -s', { stdout: STATUS(2) });
  assert.match((await small.verify(ctx))[0], /locked \(enabled 2/);

  ctx.$.on('auditctl -s', { exitCode: 1, stderr: 'auditctl: command not found' });
  assert.match((await small.verify(ctx))[0], /auditctl -s failed/);
});

test('locked rules (another file set -e 2): apply fails before trying to load', async () => {
  const ctx = stepContext(PLAN);
  stock(ctx);
  ctx.$.on('auditctl -s', { stdout: STATUS(2) });
  await rejects(() => small.apply(ctx), /locked \(enabled 2.*reboot/);
  assert.not.ok(ctx.$.commands.includes('augenrules --load'));
});

test("a rule the kernel refuses fails the step with auditctl's message", async () => {
  const ctx = stepContext(PLAN);
  stock(ctx);
  ctx.$.on('augenrules --load', {
    exitCode: 1,
    stderr:
      'Error sending add rule data request (No such file or directory)\n' +
      'There was an error in line 6 of /etc/audit/audit.rules\n',
  });
  await rejects(() => small.apply(ctx), /augenrules --load: exit 1: Error sending add rule/);
});

test('rule identity matches auditctl -l normalisation, and nothing looser', () => {
  const same = (a: string, b: string) => assert.is(ruleIdentity(a), ruleIdentity(b), `${a} vs ${b}`);
  const differ = (a: string, b: string) => assert.is.not(ruleIdentity(a), ruleIdentity(b), `${a} vs ${b}`);
  // aarch64 numbers clock_settime < settimeofday < adjtimex
  same(
    '-a always,exit -F arch=b64 -S adjtimex,settimeofday,clock_settime -k time-change',
    '-a always,exit -F arch=b64 -S clock_settime,settimeofday,adjtimex -F key=time-change',
  );
  same('-a exit,always -F arch=b64 -S mount -S umount2 -k m', '-a always,exit -F arch=b64 -S mount,umount2 -F key=m');
  same('-w /etc/pam.d/ -p wa -k pam', '-w /etc/pam.d -p aw -k pam');
  differ('-w /etc/pam.d/ -p wa -k pam', '-w /etc/pam.d -p wa -k other');
  differ('-w /etc/pam.d/ -p wa -k pam', '-w /etc/pam.d -p w -k pam');
  differ('-a always,exit -F arch=b64 -S mount -k m', '-a always,exit -F arch=b32 -S mount -F key=m');
  differ('-a always,exit -F arch=b64 -S mount,umount2 -k m', '-a always,exit -F arch=b64 -S mount -F key=m');
  // a path filter, as auditctl 3.0.9 on Debian 12 lists it (seen on a host with auditd)
  same(
    '-a always,exit -F path=/usr/bin/sudo -F perm=x -F auid>=1000 -F auid!=unset -k privileged',
    '-a always,exit -S all -F path=/usr/bin/sudo -F perm=x -F auid>=1000 -F auid!=-1 -F key=privileged',
  );
  differ(
    '-a always,exit -F path=/usr/bin/sudo -F perm=x -k privileged',
    '-a always,exit -S all -F path=/usr/bin/su -F perm=x -F key=privileged',
  );
  differ(
    '-a always,exit -F path=/usr/bin/sudo -F perm=x -k privileged',
    '-a always,exit -S all -F path=/usr/bin/sudo -F perm=wa -F key=privileged',
  );
});

test.run();
