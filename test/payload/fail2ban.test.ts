import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Fail2banPlan } from '../../contract/plan';
import { fail2ban } from '../../payload/steps/fail2ban';
import { stepContext, type TestCtx } from './context';
import { rejects } from '../rejects';

const params: Fail2banPlan = {
  id: 'fail2ban',
  sshPort: 2222,
  bantime: '1h',
  bantimeSeconds: 3600,
  findtime: '10m',
  maxretry: 3,
  recidive: { bantime: '1w', findtime: '1d', maxretry: 5 },
};

const JAIL = '/etc/fail2ban/jail.d/firstboot.local';
const FILTER = '/etc/fail2ban/filter.d/sshd.d/firstboot.local';
const SERVER = '/etc/fail2ban/fail2ban.d/firstboot.local';
const LOG = '/var/log/fail2ban.log';

const JAIL_TEXT = `# Written by firstboot: the sshd and recidive jails. Changes here are undone on its next run.

[DEFAULT]
bantime = 1h
findtime = 10m
maxretry = 3
ignoreip = 127.0.0.1/8 ::1 198.18.255.254
banaction = iptables-multiport
banaction_allports = iptables-allports

[sshd]
enabled = true
port = 2222
backend = systemd
journalmatch = _SYSTEMD_UNIT=ssh.service _UID=0 _EXE=/usr/sbin/sshd _EXE=/usr/lib/openssh/sshd-session + \
_SYSTEMD_SLICE=system-ssh.slice _SYSTEMD_SLICE=system-sshd.slice _UID=0 _EXE=/usr/sbin/sshd \
_EXE=/usr/lib/openssh/sshd-session

[recidive]
enabled = true
logpath = /var/log/fail2ban.log
backend = auto
bantime = 1w
findtime = 1d
maxretry = 5
`;

const FILTER_TEXT = `# Written by firstboot: the sshd filter, extended to sshd-session. Changes here are undone on \
its next run.
[DEFAULT]
_daemon = sshd(?:-session)?
`;

const SERVER_TEXT = `# Written by firstboot: how long bans are kept in the database. Changes here are undone on its \
next run.
[Definition]
dbpurgeage = 1w
`;

interface Service {
  active: boolean;
  enabled: boolean;
  /** pings that fail after a restart before the server answers */
  startPings?: number;
  /** what `fail2ban-client -t` says; passes when undefined */
  testError?: string;
}

/** Debian 12 right after `apt-get install fail2ban`: enabled, but failed (no auth.log), no log file yet. */
function machine(service: Service): TestCtx<Fail2banPlan> {
  const ctx = stepContext(params);
  ctx.fs
    .seed('/etc/fail2ban/jail.conf', '[DEFAULT]\nbantime = 10m\n')
    .seed('/etc/fail2ban/jail.d/defaults-debian.conf', '[sshd]\nenabled = true\n');
  let pings = 0;
  ctx.$.on('systemctl is-active --quiet fail2ban', () => ({ exitCode: service.active ? 0 : 3 }))
    .on('systemctl is-enabled --quiet fail2ban', () => ({ exitCode: service.enabled ? 0 : 1 }))
    .on('systemctl enable fail2ban', () => ((service.enabled = true), {}))
    .on('systemctl restart fail2ban', () => ((service.active = true), (pings = service.startPings ?? 0), {}))
    .on('fail2ban-client ping', () =>
      pings-- > 0
        ? {
            exitCode: 255,
            stderr: 'Failed to access socket path: /var/run/fail2ban/fail2ban.sock. Is fail2ban running?\n',
          }
        : { stdout: 'Server replied: pong\n' },
    )
    .on('sleep 1', {}) // the pause between pings while fail2ban-server starts
    .on('fail2ban-client -t', () =>
      service.testError
        ? { exitCode: 255, stderr: `${service.testError}\nERROR: test configuration failed\n` }
        : { stdout: 'OK: configuration test is successful\n' },
    );
  return ctx;
}

const changes = (ctx: TestCtx<Fail2banPlan>) =>
  ctx.$.commands.filter((cmd) => !/^(systemctl is-|fail2ban-client -t)/.test(cmd));

test('a stock Debian 12: drop-ins written, config tested, fail2ban restarted and waited for', async () => {
  const service: Service = { active: false, enabled: true, startPings: 2 };
  const ctx = machine(service);
  assert.equal(await fail2ban.check(ctx), [
    `${JAIL} is missing`,
    `${FILTER} is missing`,
    `${SERVER} is missing`,
    `${LOG} is missing (the recidive jail reads it)`,
    'fail2ban is not running',
  ]);
  await fail2ban.apply(ctx);
  assert.is(await ctx.fs.read(JAIL), JAIL_TEXT);
  assert.is(await ctx.fs.read(FILTER), FILTER_TEXT);
  assert.is(await ctx.fs.read(SERVER), SERVER_TEXT);
  assert.equal(await ctx.fs.stat(LOG), { mode: 0o640, owner: 'root:adm', isDirectory: false, isSymlink: false });
  assert.is(
    await ctx.fs.read('/etc/fail2ban/jail.d/defaults-debian.conf'),
    '[sshd]\nenabled = true\n',
    "the package's file is left alone",
  );
  assert.ok(
    ctx.$.commands.indexOf('fail2ban-client -t') < ctx.$.commands.indexOf('systemctl restart fail2ban'),
    'tested before the restart',
  );
  assert.equal(changes(ctx), [
    'systemctl restart fail2ban',
    'fail2ban-client ping',
    'sleep 1',
    'fail2ban-client ping',
    'sleep 1',
    'fail2ban-client ping',
  ]);
  assert.equal(await fail2ban.check(ctx), []);
});

test('a second run on a converged machine writes nothing and restarts nothing', async () => {
  const ctx = machine({ active: true, enabled: true });
  ctx.fs.seed(JAIL, JAIL_TEXT).seed(FILTER, FILTER_TEXT).seed(SERVER, SERVER_TEXT).seed(LOG, '', 0o640, 'root:adm');
  assert.equal(await fail2ban.check(ctx), []);
  assert.equal(ctx.fs.writes, []);
  assert.equal(changes(ctx), []);
});

test(
  'an edit to the jail file is undone and a running ' + 'fail2ban restarted (its bans come back from the database)',
  async () => {
    const service: Service = { active: true, enabled: false };
    const ctx = machine(service);
    ctx.fs
      .seed(JAIL, JAIL_TEXT.replace('maxretry = 3', 'maxretry = 30'))
      .seed(FILTER, FILTER_TEXT)
      .seed(SERVER, SERVER_TEXT)
      .seed(LOG, '', 0o640, 'root:adm');
    assert.equal(await fail2ban.check(ctx), [`${JAIL} differs`, 'fail2ban is not enabled']);
    await fail2ban.apply(ctx);
    assert.equal(ctx.fs.writes, [JAIL]);
    assert.is(await ctx.fs.read(JAIL), JAIL_TEXT);
    assert.equal(changes(ctx), ['systemctl enable fail2ban', 'systemctl restart fail2ban', 'fail2ban-client ping']);
    assert.equal(await fail2ban.check(ctx), []);
  },
);

test('a configuration fail2ban rejects is rolled back and nothing is restarted', async () => {
  const ctx = machine({
    active: true,
    enabled: true,
    testError: 'ERROR  Failed during configuration: Have not found any log file for recidive jail',
  });
  const before = JAIL_TEXT.replace('bantime = 1h', 'bantime = 2h');
  ctx.fs.seed(JAIL, before, 0o600);
  await rejects(
    () => fail2ban.apply(ctx),
    /rejects the configuration, previous files restored: .*test configuration failed/,
  );
  assert.is(await ctx.fs.read(JAIL), before);
  assert.is((await ctx.fs.stat(JAIL))?.mode, 0o600);
  assert.is(await ctx.fs.read(FILTER), undefined, 'a file that was not there before is removed');
  assert.is(await ctx.fs.read(SERVER), undefined);
  assert.equal(changes(ctx), []);
});

test('a fail2ban that never answers after its restart fails the step', async () => {
  const ctx = machine({ active: false, enabled: true, startPings: 1000 });
  await rejects(() => fail2ban.apply(ctx), /did not answer within 30 s/);
  assert.is(ctx.$.commands.filter((cmd) => cmd === 'fail2ban-client ping').length, 30);
});

/** `fail2ban-client status sshd` from fail2ban 1.0.2 with the journal backend */
const SSHD_STATUS = `Status for the jail: sshd
|- Filter
|  |- Currently failed:\t1
|  |- Total failed:\t14
|  \`- Journal matches:\t_SYSTEMD_UNIT=ssh.service _UID=0 _EXE=/usr/sbin/sshd _EXE=/usr/lib/openssh/sshd-session + \
_SYSTEMD_SLICE=system-ssh.slice _SYSTEMD_SLICE=system-sshd.slice _UID=0 _EXE=/usr/sbin/sshd \
_EXE=/usr/lib/openssh/sshd-session
\`- Actions
   |- Currently banned:\t1
   |- Total banned:\t2
   \`- Banned IP list:\t203.0.113.7
`;

const RECIDIVE_STATUS = `Status for the jail: recidive
|- Filter
|  |- Currently failed:\t0
|  |- Total failed:\t0
|  \`- File list:\t/var/log/fail2ban.log
\`- Actions
   |- Currently banned:\t0
   |- Total banned:\t0
   \`- Banned IP list:\t
`;

const NO_JAIL = (jail: string) => ({ exitCode: 255, stderr: `Sorry but the jail '${jail}' does not exist\n` });

test('verify asks the running fail2ban for its jails and the effective ban time', async () => {
  const ctx = machine({ active: true, enabled: true });
  ctx.$.on('fail2ban-client status sshd', { stdout: SSHD_STATUS })
    .on('fail2ban-client get sshd actions', {
      stdout: 'The jail sshd has the following actions:\niptables-multiport\n',
    })
    .on('fail2ban-client get sshd bantime', { stdout: '3600\n' })
    .on('fail2ban-client status recidive', { stdout: RECIDIVE_STATUS });
  assert.equal(await fail2ban.verify(ctx), []);

  // the jail as it was before it matched on journald's own fields: any process named sshd counted
  ctx.$.on('fail2ban-client status sshd', {
    stdout: SSHD_STATUS.replace(
      /(Journal matches:\t).*/,
      '$1_SYSTEMD_UNIT=ssh.service + _COMM=sshd + _COMM=sshd-session',
    ),
  })
    .on('fail2ban-client get sshd actions', { stdout: 'No actions for jail sshd\n' })
    .on('fail2ban-client get sshd bantime', { stdout: '600\n' })
    .on('fail2ban-client status recidive', NO_JAIL('recidive'));
  assert.equal(await fail2ban.verify(ctx), [
    "the sshd jail reads other journal entries than sshd's own as root: _SYSTEMD_UNIT=ssh.service + _COMM=sshd + " +
      '_COMM=sshd-session',
    'the sshd jail does not ban with iptables-multiport: No actions for jail sshd',
    'the sshd jail bans for 600 s, wants 3600 (1h)',
    "the recidive jail is not running: Sorry but the jail 'recidive' does not exist",
  ]);

  const down = machine({ active: false, enabled: true });
  down.$.on('fail2ban-client status sshd', {
    exitCode: 255,
    stderr: 'Failed to access socket path: /var/run/fail2ban/fail2ban.sock. Is fail2ban running?\n',
  });
  assert.equal(await fail2ban.verify(down), [
    'fail2ban is not running',
    'the sshd jail is not running: Failed to access socket path: /var/run/fail2ban/fail2ban.sock. Is fail2ban running?',
  ]);
});

test.run();
