import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { baseline } from '../../payload/steps/baseline';
import { baselinePlan, BANNER } from '../../generator/capabilities/baseline';
import { stepContext } from './context';

const params = baselinePlan({ admin: 'ops' });

/** Debian 12's /etc/login.defs, the lines that matter, with one key given twice */
const LOGIN_DEFS = `# /etc/login.defs
UMASK\t\t022
#SHA_CRYPT_MIN_ROUNDS 5000
PASS_MAX_DAYS\t99999
PASS_MIN_DAYS\t0
PASS_WARN_AGE\t7
UMASK 077
`;

function machine({ cron = true } = {}) {
  const ctx = stepContext(params);
  ctx.fs.seed('/etc/issue', 'Debian GNU/Linux 12 \\n \\l\n\n').seed('/etc/issue.net', 'Debian GNU/Linux 12\n').seed('/etc/login.defs', LOGIN_DEFS);
  if (cron) {
    ctx.fs.seed('/etc/crontab', 'SHELL=/bin/sh\n').seed('/etc/group', 'root:x:0:\ncrontab:x:101:\n');
    for (const dir of ['/etc/cron.d', '/etc/cron.daily']) void ctx.fs.mkdir(dir, { mode: 0o755 });
  }
  ctx.$.on('systemctl is-active --quiet acct', {}).on('aa-status --enabled', {});
  // modprobe answers as it would with the block list in place, or without it
  ctx.$.on(/^modprobe -n -v /, (cmd) => (ctx.fs.files.has('/etc/modprobe.d/firstboot-blocklist.conf') ? { stdout: 'install /bin/true \n' } : { stdout: `insmod /lib/modules/${cmd.split(' ').at(-1)}.ko\n` }));
  return ctx;
}

test('a stock server: banners, module block list, login.defs, no core dumps, cron for root and the admin', async () => {
  const ctx = machine();
  const drift = await baseline.check(ctx);
  for (const expected of ['/etc/issue differs', '/etc/issue.net differs', '/etc/modprobe.d/firstboot-blocklist.conf is missing', '/etc/login.defs differs',
    '/etc/security/limits.d/firstboot-core.conf is missing', '/etc/crontab has mode 0644, wants 0600', '/etc/cron.allow is missing', '/etc/cron.d has mode 755, wants 700']) {
    assert.ok(drift.includes(expected), `${expected} not in:\n${drift.join('\n')}`);
  }
  assert.ok((await baseline.verify(ctx)).includes('kernel module usb-storage would load'));
  await baseline.apply(ctx);

  assert.is(await ctx.fs.read('/etc/issue.net'), BANNER);
  // each key once, where it was; comments and other keys left alone
  assert.is(await ctx.fs.read('/etc/login.defs'), `# /etc/login.defs
UMASK 027
#SHA_CRYPT_MIN_ROUNDS 5000
PASS_MAX_DAYS\t99999
PASS_MIN_DAYS 1
PASS_WARN_AGE 7
SHA_CRYPT_MIN_ROUNDS 65536
SHA_CRYPT_MAX_ROUNDS 65536
`);
  // the form Lynis' NETW-3200 greps for (^install +dccp +/bin/true$), one module a line
  assert.match((await ctx.fs.read('/etc/modprobe.d/firstboot-blocklist.conf'))!, /\ninstall cramfs \/bin\/true\nblacklist cramfs\n/);
  for (const protocol of ['dccp', 'sctp', 'rds', 'tipc']) assert.match((await ctx.fs.read('/etc/modprobe.d/firstboot-blocklist.conf'))!, new RegExp(`^install ${protocol} /bin/true$`, 'm'));
  assert.not.match((await ctx.fs.read('/etc/modprobe.d/firstboot-blocklist.conf'))!, /squashfs|vfat/);
  assert.match((await ctx.fs.read('/etc/systemd/coredump.conf.d/firstboot.conf'))!, /\nStorage=none\nProcessSizeMax=0\n/);
  assert.equal(await ctx.fs.stat('/etc/cron.allow'), { mode: 0o640, owner: 'root:crontab', isDirectory: false, isSymlink: false });
  assert.is(await ctx.fs.read('/etc/cron.allow'), 'root\nops\n');
  assert.is((await ctx.fs.stat('/etc/cron.d'))!.mode, 0o700);
  assert.is((await ctx.fs.stat('/etc/crontab'))!.mode, 0o600);
  assert.is(await ctx.fs.read('/etc/crontab'), 'SHELL=/bin/sh\n');
  assert.equal(await baseline.check(ctx), []);
  assert.equal(await baseline.verify(ctx), []);
});

test('the banner warns in at least five of the words Lynis counts (BANN-7126/7130), and names no system', () => {
  // Lynis 3.0.8's LEGAL_BANNER_STRINGS, matched case-insensitively anywhere in the file
  const words = 'audit access authori condition connect consent continu criminal enforce evidence forbidden intrusion law legal legislat log monitor owner penal policy policies privacy private prohibited record restricted secure subject system terms warning';
  const found = words.split(' ').filter((w) => BANNER.toLowerCase().includes(w));
  assert.ok(found.length >= 5, `only ${found.join(', ')}`);
  assert.not.match(BANNER, /debian|ubuntu|linux|gnu|\\[srvmnl]/i);
});

test('a second run writes nothing', async () => {
  const ctx = machine();
  await baseline.apply(ctx);
  const writes = ctx.fs.writes.length;
  assert.equal(await baseline.check(ctx), []);
  assert.is(ctx.fs.writes.length, writes);
});

test('without cron (minimal images) there is no cron.allow to write and no crontab to protect', async () => {
  const ctx = machine({ cron: false });
  await baseline.apply(ctx);
  assert.is(await ctx.fs.read('/etc/cron.allow'), undefined);
  assert.equal(await baseline.check(ctx), []);
});

test('process accounting that does not run is a problem verify names', async () => {
  const ctx = machine();
  await baseline.apply(ctx);
  ctx.$.on('systemctl is-active --quiet acct', { exitCode: 3 });
  assert.equal(await baseline.verify(ctx), ['process accounting (acct) is not running']);
});

test('AppArmor that is not enabled is a problem verify names', async () => {
  const ctx = machine();
  await baseline.apply(ctx);
  ctx.$.on('aa-status --enabled', { exitCode: 1 });
  assert.equal(await baseline.verify(ctx), ['AppArmor is not enabled']);
});

test('a module that still loads is a problem verify names', async () => {
  const ctx = machine();
  await baseline.apply(ctx);
  ctx.$.on('modprobe -n -v sctp', { stdout: 'insmod /lib/modules/6.1.0/kernel/net/sctp/sctp.ko\n' });
  assert.equal(await baseline.verify(ctx), ['kernel module sctp would load']);
});

test.run();
