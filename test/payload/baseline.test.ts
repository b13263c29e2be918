import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { baseline } from '../../payload/steps/baseline';
import { baselinePlan, BANNER, ROOT_ONLY_COMPILERS, toolchainPackage } from '../../generator/capabilities/baseline';
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

function machine({ cron = true, plan = params } = {}) {
  const ctx = stepContext(plan);
  ctx.fs
    .seed('/etc/issue', 'Debian GNU/Linux 12 \\n \\l\n\n')
    .seed('/etc/issue.net', 'Debian GNU/Linux 12\n')
    .seed('/etc/login.defs', LOGIN_DEFS);
  if (cron) {
    ctx.fs.seed('/etc/crontab', 'SHELL=/bin/sh\n').seed('/etc/group', 'root:x:0:\ncrontab:x:101:\n');
    for (const dir of ['/etc/cron.d', '/etc/cron.daily']) void ctx.fs.mkdir(dir, { mode: 0o755 });
  }
  ctx.$.on('systemctl is-active --quiet acct', {}).on('aa-status --enabled', {});
  // modprobe answers as it would with the block list in place, or without it
  ctx.$.on(/^modprobe -n -v /, (cmd) =>
    ctx.fs.files.has('/etc/modprobe.d/firstboot-blocklist.conf')
      ? { stdout: 'install /bin/true \n' }
      : { stdout: `insmod /lib/modules/${cmd.split(' ').at(-1)}.ko\n` },
  );
  return ctx;
}

test('a stock server: banners, module block list, login.defs, no core dumps, cron for root and the admin', async () => {
  const ctx = machine();
  const drift = await baseline.check(ctx);
  for (const expected of [
    '/etc/issue differs',
    '/etc/issue.net differs',
    '/etc/modprobe.d/firstboot-blocklist.conf is missing',
    '/etc/login.defs differs',
    '/etc/security/limits.d/firstboot-core.conf is missing',
    '/etc/crontab has mode 0644, wants 0600',
    '/etc/cron.allow is missing',
    '/etc/cron.d has mode 755, wants 700 or stricter',
  ]) {
    assert.ok(drift.includes(expected), `${expected} not in:\n${drift.join('\n')}`);
  }
  assert.ok((await baseline.verify(ctx)).includes('kernel module usb-storage would load'));
  await baseline.apply(ctx);

  assert.is(await ctx.fs.read('/etc/issue.net'), BANNER);
  // an idle bash prompt closes after 10 minutes, in the form scanners read, but not inside tmux or mosh
  const idle = (await ctx.fs.read('/etc/profile.d/firstboot-idle.sh')) ?? '';
  assert.match(idle, /^    declare -xr TMOUT=600$/m);
  // as bash runs it for a login: set at a plain prompt, gone
  // inside tmux even when the outer shell exported it; sh skips it
  const file = join(mkdtempSync(join(tmpdir(), 'idle-')), 'idle.sh');
  writeFileSync(file, idle);
  const shell = (sh: string, env: Record<string, string>) =>
    execFileSync(sh, ['-c', `. ${file}; echo "\${TMOUT-none}"`], { env: { PATH: process.env.PATH!, ...env } })
      .toString()
      .trim();
  assert.is(shell('bash', {}), '600');
  assert.is(shell('bash', { TMUX: '/tmp/tmux-1000/default,42,0', TMOUT: '600' }), 'none');
  assert.is(shell('bash', { STY: '42.pts-0.host' }), 'none');
  assert.is(shell('sh', {}), 'none');
  // each key once, where it was; comments and other keys left alone
  assert.is(
    await ctx.fs.read('/etc/login.defs'),
    `# /etc/login.defs
UMASK 027
#SHA_CRYPT_MIN_ROUNDS 5000
PASS_MAX_DAYS\t99999
PASS_MIN_DAYS 1
PASS_WARN_AGE 7
ENCRYPT_METHOD YESCRYPT
SHA_CRYPT_MIN_ROUNDS 65536
SHA_CRYPT_MAX_ROUNDS 65536
`,
  );
  // the form Lynis' NETW-3200 greps for (^install +dccp +/bin/true$), one module a line
  assert.match(
    (await ctx.fs.read('/etc/modprobe.d/firstboot-blocklist.conf'))!,
    /\ninstall cramfs \/bin\/true\nblacklist cramfs\n/,
  );
  for (const protocol of ['dccp', 'sctp', 'rds', 'tipc'])
    assert.match(
      (await ctx.fs.read('/etc/modprobe.d/firstboot-blocklist.conf'))!,
      new RegExp(`^install ${protocol} /bin/true$`, 'm'),
    );
  assert.not.match((await ctx.fs.read('/etc/modprobe.d/firstboot-blocklist.conf'))!, /squashfs|vfat/);
  assert.match(
    (await ctx.fs.read('/etc/systemd/coredump.conf.d/firstboot.conf'))!,
    /\nStorage=none\nProcessSizeMax=0\n/,
  );
  assert.equal(await ctx.fs.stat('/etc/cron.allow'), {
    mode: 0o640,
    owner: 'root:crontab',
    isDirectory: false,
    isSymlink: false,
  });
  assert.is(await ctx.fs.read('/etc/cron.allow'), 'root\nops\n');
  assert.is((await ctx.fs.stat('/etc/cron.d'))!.mode, 0o700);
  assert.is((await ctx.fs.stat('/etc/crontab'))!.mode, 0o600);
  assert.is(await ctx.fs.read('/etc/crontab'), 'SHELL=/bin/sh\n');
  assert.equal(await baseline.check(ctx), []);
  assert.equal(await baseline.verify(ctx), []);
});

test('the banner warns in at least five of the words Lynis counts (BANN-7126/7130), and names no system', () => {
  // Lynis 3.0.8's LEGAL_BANNER_STRINGS, matched case-insensitively anywhere in the file
  const words =
    'audit access authori condition connect consent continu criminal enforce evidence ' +
    'forbidden intrusion law legal legislat log monitor owner penal policy policies ' +
    'privacy private prohibited record restricted secure subject system terms warning';
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

/**
 * binutils as needrestart brings it on Debian 12 (links to the arch's programs), and gcc as dkms would,
 * through the alternatives: dpkg-statoverride --update sets the file's owner and mode as dpkg does
 */
function withCompilers(ctx: ReturnType<typeof machine>) {
  ctx.fs
    .seed('/usr/bin/x86_64-linux-gnu-as', 'ELF', 0o755)
    .seed('/usr/bin/x86_64-linux-gnu-ld.bfd', 'ELF', 0o755)
    .seed('/usr/bin/x86_64-linux-gnu-gcc-12', 'ELF', 0o755);
  const links: [string, string][] = [
    ['/usr/bin/as', 'x86_64-linux-gnu-as'],
    ['/usr/bin/ld', 'x86_64-linux-gnu-ld'],
    ['/usr/bin/x86_64-linux-gnu-ld', 'x86_64-linux-gnu-ld.bfd'],
    ['/usr/bin/cc', '/etc/alternatives/cc'],
    ['/etc/alternatives/cc', '/usr/bin/gcc'],
    ['/usr/bin/gcc', 'gcc-12'],
    ['/usr/bin/gcc-12', 'x86_64-linux-gnu-gcc-12'],
  ];
  for (const [path, target] of links) void ctx.fs.symlink(target, path);
  ctx.$.on(
    /^dpkg-statoverride --update --force-statoverride-add --add root root 0750 /,
    (cmd) => (void ctx.fs.chmod(cmd.split(' ').at(-1)!, 0o750), {}),
  );
  return ctx;
}

test(
  'compilers root-only without a developer toolchain: ' +
    'each file its links lead to, by a stat override that upgrades keep',
  async () => {
    const ctx = withCompilers(machine({ plan: baselinePlan({ admin: 'ops', compilersRootOnly: true }) }));
    const files = [
      '/usr/bin/x86_64-linux-gnu-as',
      '/usr/bin/x86_64-linux-gnu-ld.bfd',
      '/usr/bin/x86_64-linux-gnu-gcc-12',
    ];
    const drift = await baseline.check(ctx);
    for (const file of files)
      assert.ok(drift.includes(`${file} runs for every user, wants root only (root:root 0750)`), drift.join('\n'));
    await baseline.apply(ctx);
    // cc and gcc lead to one file: one override; clang is not installed
    assert.equal(
      ctx.$.commands.filter((c) => c.startsWith('dpkg-statoverride')),
      files.map((f) => `dpkg-statoverride --update --force-statoverride-add --add root root 0750 ${f}`),
    );
    for (const file of files) assert.is((await ctx.fs.stat(file))!.mode, 0o750);
    assert.equal(await baseline.check(ctx), []);
    const before = ctx.$.commands.length;
    await baseline.apply(ctx);
    assert.not.ok(
      ctx.$.commands.slice(before).some((c) => c.startsWith('dpkg-statoverride')),
      'a converged run overrides again',
    );
  },
);

test(
  "with the developer toolchain the compilers stay everyone's: " + 'the plan names none, and the step touches none',
  async () => {
    const ctx = withCompilers(machine());
    await baseline.apply(ctx);
    assert.not.ok(ctx.$.commands.some((c) => c.startsWith('dpkg-statoverride')));
    assert.is((await ctx.fs.stat('/usr/bin/x86_64-linux-gnu-as'))!.mode, 0o755);
    assert.equal(await baseline.check(ctx), []);
    assert.equal(baselinePlan({ admin: 'ops', compilersRootOnly: true }).rootOnly, ROOT_ONLY_COMPILERS);
    assert.ok(
      ['build-essential', 'gcc', 'gcc-12', 'g++', 'clang-16', 'binutils', 'rustc', 'golang-go'].every(toolchainPackage),
    );
    assert.not.ok(['htop', 'git', 'dkms', 'ccache', 'cppcheck'].some(toolchainPackage));
  },
);

test.run();
