import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hostname } from '../../payload/steps/hostname';
import { stepContext, type TestCtx } from './context';
import type { HostnamePlan } from '../../contract/plan';

const params: HostnamePlan = { id: 'hostname', hostname: 'dev1' };

/** /etc/hosts as cloud-init's Debian template writes it on a Hetzner server named ubuntu-4gb-fsn1-1 */
const CLOUD_INIT_HOSTS = `# Your system has configured 'manage_etc_hosts' as True.
# As a result, if you wish for changes to this file to persist
# then you will need to either
# a.) make changes to the master file in /etc/cloud/templates/hosts.debian.tmpl
#
127.0.1.1 debian-4gb-fsn1-1 debian-4gb-fsn1-1
127.0.0.1 localhost

# The following lines are desirable for IPv6 capable hosts
::1 localhost ip6-localhost ip6-loopback
ff02::1 ip6-allnodes
ff02::2 ip6-allrouters
`;

const CLOUD_CFG = '/etc/cloud/cloud.cfg.d/99-firstboot-hostname.cfg';

/** a shell whose `hostname` answers what the kernel holds, and `hostname NAME` changes it */
function kernelName(ctx: TestCtx<HostnamePlan>, name: string) {
  let current = name;
  ctx.$.on('hostname', (cmd) => {
    if (cmd !== 'hostname') current = cmd.slice('hostname '.length);
    return { stdout: `${current}\n` };
  });
}

function stockMachine() {
  const ctx = stepContext(params);
  kernelName(ctx, 'debian-4gb-fsn1-1');
  ctx.fs.seed('/etc/hostname', 'debian-4gb-fsn1-1\n').seed('/etc/hosts', CLOUD_INIT_HOSTS);
  ctx.fs.files.set('/etc/cloud', { dir: true, mode: 0o755, owner: 'root:root' });
  return ctx;
}

test('names the machine now, at the next boot, in /etc/hosts, and keeps cloud-init from renaming it', async () => {
  const ctx = stockMachine();
  assert.equal(await hostname.check(ctx), [
    'hostname is debian-4gb-fsn1-1, wants dev1',
    '/etc/hostname differs',
    '/etc/hosts differs',
    `${CLOUD_CFG} is missing`,
  ]);
  await hostname.apply(ctx);
  assert.ok(ctx.$.commands.includes('hostname dev1'));
  assert.is(await ctx.fs.read('/etc/hostname'), 'dev1\n');
  assert.is(
    await ctx.fs.read('/etc/hosts'),
    CLOUD_INIT_HOSTS.replace('127.0.1.1 debian-4gb-fsn1-1 debian-4gb-fsn1-1', '127.0.1.1 dev1'),
  );
  const cfg = (await ctx.fs.read(CLOUD_CFG))!;
  assert.match(cfg, /^# Written by firstboot/);
  assert.match(cfg, /^preserve_hostname: true$/m);
  assert.match(cfg, /^manage_etc_hosts: false$/m);
  assert.equal(await hostname.check(ctx), []);
});

test('a second run changes nothing', async () => {
  const ctx = stockMachine();
  await hostname.apply(ctx);
  const writes = ctx.fs.writes.length;
  const renames = ctx.$.commands.filter((cmd) => cmd.startsWith('hostname ')).length;
  assert.equal(await hostname.check(ctx), []);
  await hostname.apply(ctx);
  assert.is(ctx.fs.writes.length, writes);
  assert.is(ctx.$.commands.filter((cmd) => cmd.startsWith('hostname ')).length, renames);
});

test('adds a 127.0.1.1 line after localhost when there is none, and drops duplicates', async () => {
  const ctx = stockMachine();
  ctx.fs.seed('/etc/hosts', '127.0.0.1 localhost\n10.0.0.2 db\n');
  await hostname.apply(ctx);
  assert.is(await ctx.fs.read('/etc/hosts'), '127.0.0.1 localhost\n127.0.1.1 dev1\n10.0.0.2 db\n');

  ctx.fs.seed('/etc/hosts', '127.0.0.1 localhost\n127.0.1.1 old\n::1 localhost\n127.0.1.1  other\n');
  await hostname.apply(ctx);
  assert.is(await ctx.fs.read('/etc/hosts'), '127.0.0.1 localhost\n127.0.1.1 dev1\n::1 localhost\n');
});

test('/etc/hosts keeps its mode and owner', async () => {
  const ctx = stockMachine();
  ctx.fs.seed('/etc/hosts', '127.0.0.1 localhost\n', 0o664, 'root:adm');
  await hostname.apply(ctx);
  assert.equal(await ctx.fs.stat('/etc/hosts'), {
    mode: 0o664,
    owner: 'root:adm',
    isDirectory: false,
    isSymlink: false,
  });
});

test('without cloud-init, no cloud-init file', async () => {
  const ctx = stockMachine();
  ctx.fs.files.delete('/etc/cloud');
  await hostname.apply(ctx);
  assert.is(await ctx.fs.stat(CLOUD_CFG), undefined);
  assert.equal(await hostname.check(ctx), []);
});

test('a name set in the files but not in the kernel is set live', async () => {
  const ctx = stockMachine();
  await hostname.apply(ctx);
  kernelName(ctx, 'debian-4gb-fsn1-1');
  assert.equal(await hostname.check(ctx), ['hostname is debian-4gb-fsn1-1, wants dev1']);
  const writes = ctx.fs.writes.length;
  await hostname.apply(ctx);
  assert.is(ctx.$.commands.at(-1), 'hostname dev1');
  assert.is(ctx.fs.writes.length, writes);
});

test('verify checks the live name and that it resolves', async () => {
  const ctx = stepContext(params);
  ctx.$.on('hostname', { stdout: 'debian-4gb-fsn1-1\n' }).on('getent hosts dev1', { exitCode: 2 });
  assert.equal(await hostname.verify(ctx), ['hostname is debian-4gb-fsn1-1, wants dev1', 'dev1 does not resolve']);
  ctx.$.on('hostname', { stdout: 'dev1\n' }).on('getent hosts dev1', { stdout: '127.0.1.1       dev1\n' });
  assert.equal(await hostname.verify(ctx), []);
});

test.run();
