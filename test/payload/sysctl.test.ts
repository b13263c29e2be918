import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sysctl, sysctlStep, SYSCTL_FILE, ufwHook } from '../../payload/steps/sysctl';
import { KERNEL_SETTINGS, STATIC_IPV6_SETTINGS } from '../../contract/kernel-settings';
import { stepContext, type TestCtx } from './context';
import { rejects } from '../rejects';
import type { SysctlPlan } from '../../contract/plan';

const params: SysctlPlan = { id: 'sysctl' };
const SETTINGS: [string, string][] = [
  ['kernel.kptr_restrict', '2'],
  ['net.ipv4.conf.all.rp_filter', '1'],
  ['net.ipv4.ip_local_port_range', '32768 60999'],
];
/** the step with these three settings */
const step = sysctlStep(SETTINGS);

const FILE =
  '# Written by firstboot: kernel and network settings, applied by systemd-sysctl. Changes here are undone on its ' +
  'next run.\n' +
  'kernel.kptr_restrict = 2\n' +
  'net.ipv4.conf.all.rp_filter = 1\n' +
  'net.ipv4.ip_local_port_range = 32768 60999\n';

/**
 * A kernel's /proc/sys behind procps' sysctl (`key = value`, tabs between fields, a complaint and exit 1
 * for keys it lacks), and systemd-sysctl, which applies our file and then any overriding later file.
 * ufw's hook is in place already: test/payload/sysctl-ufw.test.ts is about it.
 */
function kernel<P>(ctx: TestCtx<P>, live: Record<string, string>, later: Record<string, string> = {}) {
  ctx.fs.seed(ufwHook.path, ufwHook.content, ufwHook.mode);
  ctx.$.on(/^sysctl /, (cmd) => {
    const keys = cmd.split(' ').slice(1);
    const present = keys.filter((key) => key in live);
    const absent = keys.filter((key) => !(key in live));
    return {
      stdout: present.map((key) => `${key} = ${live[key].replace(/ /g, '\t')}\n`).join(''),
      stderr: absent
        .map((key) => `sysctl: cannot stat /proc/sys/${key.replace(/\./g, '/')}: No such file or directory\n`)
        .join(''),
      exitCode: absent.length > 0 ? 1 : 0,
    };
  });
  ctx.$.on('systemctl restart systemd-sysctl', () => {
    for (const line of ctx.fs.files.get(SYSCTL_FILE)?.content?.split('\n') ?? []) {
      const match = /^(\S+) = (.*)$/.exec(line);
      if (match && match[1] in live) live[match[1]] = match[2];
    }
    Object.assign(live, later);
    return {};
  });
  return live;
}

const debianDefaults = () => ({
  'kernel.kptr_restrict': '0',
  'net.ipv4.conf.all.rp_filter': '0',
  'net.ipv4.ip_local_port_range': '32768 60999',
});

test('a stock machine: writes the file, applies it with systemd-sysctl, and then nothing differs', async () => {
  const ctx = stepContext(params);
  kernel(ctx, debianDefaults());
  assert.equal(await step.check(ctx), [
    `${SYSCTL_FILE} is missing`,
    'kernel.kptr_restrict is 0, wants 2',
    'net.ipv4.conf.all.rp_filter is 0, wants 1',
  ]);
  const before = ctx.$.commands.length;
  await step.apply(ctx);
  assert.equal(ctx.$.commands.slice(before), [
    'sysctl kernel.kptr_restrict net.ipv4.conf.all.rp_filter net.ipv4.ip_local_port_range',
    'systemctl restart systemd-sysctl',
  ]);
  assert.is(await ctx.fs.read(SYSCTL_FILE), FILE);
  assert.is((await ctx.fs.stat(SYSCTL_FILE))?.mode, 0o644);

  const writes = ctx.fs.writes.length;
  const after = ctx.$.commands.length;
  assert.equal(await step.check(ctx), []);
  assert.equal(await step.verify(ctx), []);
  assert.is(ctx.fs.writes.length, writes);
  assert.ok(ctx.$.commands.slice(after).every((cmd) => cmd.startsWith('sysctl ')));
});

test('reads every key in one sysctl call, as zx passes them', async () => {
  const ctx = stepContext(params);
  kernel(ctx, debianDefaults());
  await step.check(ctx);
  assert.equal(ctx.$.commands, [
    'sysctl kernel.kptr_restrict net.ipv4.conf.all.rp_filter net.ipv4.ip_local_port_range',
  ]);
});

test('a user edit to the file is undone; a live value changed by hand is set back', async () => {
  const ctx = stepContext(params);
  const live = kernel(ctx, { ...debianDefaults(), 'kernel.kptr_restrict': '2', 'net.ipv4.conf.all.rp_filter': '1' });
  ctx.fs.seed(SYSCTL_FILE, FILE.replace('kernel.kptr_restrict = 2', 'kernel.kptr_restrict = 1'));
  live['net.ipv4.conf.all.rp_filter'] = '2';
  assert.equal(await step.check(ctx), [`${SYSCTL_FILE} differs`, 'net.ipv4.conf.all.rp_filter is 2, wants 1']);
  await step.apply(ctx);
  assert.is(await ctx.fs.read(SYSCTL_FILE), FILE);
  assert.equal(await step.check(ctx), []);
});

test('a key this kernel lacks is neither drift nor a verify failure, only a warning', async () => {
  const withMissing = sysctlStep([...SETTINGS, ['kernel.yama.ptrace_scope', '1']]);
  const ctx = stepContext(params);
  kernel(ctx, debianDefaults());
  assert.equal(await withMissing.check(ctx), [
    `${SYSCTL_FILE} is missing`,
    'kernel.kptr_restrict is 0, wants 2',
    'net.ipv4.conf.all.rp_filter is 0, wants 1',
  ]);
  await withMissing.apply(ctx);
  // plain lines for the keys this kernel has, as scanners read them; the missing key only named
  assert.is(await ctx.fs.read(SYSCTL_FILE), FILE + '# kernel.yama.ptrace_scope: this kernel has no such key\n');
  assert.equal(await withMissing.check(ctx), []);
  assert.equal(await withMissing.verify(ctx), []);
  assert.ok(ctx.lines.some((line) => line.includes('[WARN] sysctl: this kernel has no kernel.yama.ptrace_scope')));
});

test(
  'a key that appears later (a module loaded since) ' + 'makes the file differ, and the next apply writes it',
  async () => {
    const withMissing = sysctlStep([...SETTINGS, ['kernel.yama.ptrace_scope', '1']]);
    const ctx = stepContext(params);
    const live = kernel(ctx, debianDefaults());
    await withMissing.apply(ctx);
    live['kernel.yama.ptrace_scope'] = '0';
    assert.equal(await withMissing.check(ctx), [`${SYSCTL_FILE} differs`, 'kernel.yama.ptrace_scope is 0, wants 1']);
    await withMissing.apply(ctx);
    assert.match((await ctx.fs.read(SYSCTL_FILE)) ?? '', /^kernel\.yama\.ptrace_scope = 1$/m);
    assert.equal(await withMissing.check(ctx), []);
  },
);

test('a later file or a service that overrides a key: check still differs after apply, verify names it', async () => {
  const ctx = stepContext(params);
  kernel(ctx, debianDefaults(), { 'kernel.kptr_restrict': '1' }); // e.g. a 99- file from a package
  await step.apply(ctx);
  assert.equal(await step.check(ctx), ['kernel.kptr_restrict is 1, wants 2']);
  assert.equal(await step.verify(ctx), ['kernel.kptr_restrict is 1, wants 2']);
});

test("systemd-sysctl failing on another file's line is a warning; what did not take shows in check", async () => {
  const ctx = stepContext(params);
  kernel(ctx, debianDefaults());
  ctx.$.on('systemctl restart systemd-sysctl', {
    exitCode: 1,
    stderr: 'Job for systemd-sysctl.service failed because the control process exited with error code.\n',
  });
  await step.apply(ctx);
  assert.ok(
    ctx.lines.some((line) =>
      line.includes('[WARN] sysctl: systemd-sysctl reported errors: Job for systemd-sysctl.service failed'),
    ),
  );
  assert.equal(await step.check(ctx), [
    'kernel.kptr_restrict is 0, wants 2',
    'net.ipv4.conf.all.rp_filter is 0, wants 1',
  ]);
});

test('no sysctl at all is an error, not a machine where every key is absent', async () => {
  const ctx = stepContext(params);
  ctx.$.on(/^sysctl /, { exitCode: 127, stderr: 'sysctl: command not found\n' });
  await rejects(() => step.verify(ctx), /sysctl failed \(exit 127\): sysctl: command not found/);
});

/**
 * iproute2's answers: Hetzner's static IPv6; an address (SLAAC) and the default route from router
 * advertisements; or a static address with the default route from them.
 */
function ipv6<P>(ctx: TestCtx<P>, from: 'static' | 'advertisements' | 'advertised route') {
  const route = from !== 'static';
  const address = from === 'advertisements';
  ctx.$.on('ip -6 route show proto ra', {
    stdout: route ? 'default via fe80::1 dev eth0 proto ra metric 1024 expires 1790sec hoplimit 64 pref medium\n' : '',
  });
  ctx.$.on('ip -6 -o addr show scope global dynamic', {
    stdout: address
      ? '2: eth0    inet6 2001:db8::5054:ff:fe12:3456/64 scope global dynamic mngtmpaddr noprefixroute \\       ' +
        'valid_lft 86390sec preferred_lft 14390sec\n'
      : '',
  });
}

const every = [...KERNEL_SETTINGS, ...STATIC_IPV6_SETTINGS];

test(
  'the full policy converges on a kernel that has every key; ' + 'with static IPv6, advertisements are ignored too',
  async () => {
    const ctx = stepContext(params);
    ipv6(ctx, 'static');
    kernel(ctx, Object.fromEntries(every.map(([key]) => [key, 'stock'])));
    assert.is((await sysctl.check(ctx)).length, every.length + 1);
    await sysctl.apply(ctx);
    assert.equal(await sysctl.check(ctx), []);
    assert.equal(await sysctl.verify(ctx), []);
    assert.match((await ctx.fs.read(SYSCTL_FILE)) ?? '', /^net\.ipv6\.conf\.all\.accept_ra = 0$/m);
  },
);

for (const from of ['advertisements', 'advertised route'] as const)
  test(`where IPv6 comes from router advertisements (${from}), they stay accepted, and verify says so`, async () => {
    const ctx = stepContext(params);
    ipv6(ctx, from);
    const live = kernel(ctx, Object.fromEntries(every.map(([key]) => [key, 'stock'])));
    assert.is((await sysctl.check(ctx)).length, KERNEL_SETTINGS.length + 1);
    await sysctl.apply(ctx);
    assert.equal(await sysctl.verify(ctx), []);
    assert.not.match((await ctx.fs.read(SYSCTL_FILE)) ?? '', /accept_ra|autoconf|router_solicitations|max_addresses/);
    for (const [key] of STATIC_IPV6_SETTINGS) assert.is(live[key], 'stock', key);
    assert.match(ctx.lines.join('\n'), /IPv6 comes from router advertisements here/);
  });

test('the file sorts after the vendor files that set the same keys, so its values are the ones that stay', () => {
  // systemd-sysctl applies all sysctl.d files in name order (sysctl.d(5)): Debian's procps ships
  // protect-links.conf, Ubuntu 99-protect-links.conf, both with fs.protected_fifos = 1
  const name = SYSCTL_FILE.split('/').pop()!;
  for (const vendor of ['protect-links.conf', '99-protect-links.conf', '50-default.conf', '99-sysctl.conf'])
    assert.ok(name > vendor, `${name} sorts before ${vendor}`);
});

test.run();
