import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { packages } from '../../payload/steps/packages';
import { stepContext, type TestCtx } from './context';
import { rejects } from '../rejects';
import type { PackagesPlan } from '../../contract/plan';

const params: PackagesPlan = { id: 'packages', install: ['sudo', 'ufw', 'fail2ban'] };

const QUERY = /^dpkg-query -W /;
const MAN_DB_FLAG = '/var/lib/man-db/auto-update';
const CONFIGURE =
  'env DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 APT_LISTCHANGES_FRONTEND=none dpkg --force-confdef ' +
  '--force-confold --configure -a';
const UPDATE =
  'apt-get -y -q -o DPkg::Lock::Timeout=900 -o Acquire::Retries=3 -o Dpkg::Options::=--force-confdef -o ' +
  'Dpkg::Options::=--force-confold -o Acquire::Languages=none update';
const INSTALL =
  'env DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 APT_LISTCHANGES_FRONTEND=none apt-get -y -q -o ' +
  'DPkg::Lock::Timeout=900 -o Acquire::Retries=3 -o Dpkg::Options::=--force-confdef -o ' +
  'Dpkg::Options::=--force-confold install --no-install-recommends sudo ufw fail2ban';

/** dpkg-query as on Debian 12: installed packages on stdout, never-installed ones on stderr with exit 1 */
function dpkg(ctx: TestCtx<PackagesPlan>, installed: string[]) {
  ctx.$.on(QUERY, (cmd) => {
    const asked = cmd
      .slice(cmd.lastIndexOf("'") + 1)
      .trim()
      .split(' ');
    const missing = asked.filter((name) => !installed.includes(name));
    return {
      stdout: asked
        .filter((name) => installed.includes(name))
        .map((name) => `${name} ii \n`)
        .join(''),
      stderr: missing.map((name) => `dpkg-query: no packages found matching ${name}\n`).join(''),
      exitCode: missing.length > 0 ? 1 : 0,
    };
  });
}

/** a machine where apt really installs: the next dpkg-query sees the packages */
function stockMachine() {
  const ctx = stepContext(params);
  const installed = ['sudo'];
  dpkg(ctx, installed);
  ctx.$.on(CONFIGURE, {}) // dpkg has nothing half-configured: it prints nothing
    .on(UPDATE, { stdout: 'Hit:1 http://deb.debian.org/debian bookworm InRelease\nReading package lists...\n' });
  const flagDuringInstall: boolean[] = [];
  ctx.$.on(
    / apt-get .* install /,
    () => (flagDuringInstall.push(ctx.fs.files.has(MAN_DB_FLAG)), installed.push('ufw', 'fail2ban'), {}),
  );
  ctx.$.on('find /var/lib/apt/lists -type f -delete', {});
  ctx.fs.seed(MAN_DB_FLAG, '');
  return Object.assign(ctx, { flagDuringInstall });
}

test('check names the packages that are not installed', async () => {
  const ctx = stockMachine();
  assert.equal(await packages.check(ctx), ['not installed: ufw, fail2ban']);
  assert.is(ctx.$.commands[0], `dpkg-query -W -f='\${Package} \${db:Status-Abbrev}\n' sudo ufw fail2ban`);
});

test("apply installs everything in one transaction, with man-db's trigger off for it only", async () => {
  const ctx = stockMachine();
  await packages.apply(ctx);
  assert.equal(ctx.$.commands, [CONFIGURE, UPDATE, INSTALL]);
  assert.equal(ctx.flagDuringInstall, [false]);
  assert.ok(await ctx.fs.stat(MAN_DB_FLAG), 'the trigger is back, as Debian had it');
  assert.equal(await packages.check(ctx), []);
  assert.equal(await packages.verify(ctx), []);
});

test('a man-db trigger already off stays off, and nothing is written for it', async () => {
  const ctx = stockMachine();
  ctx.fs.files.delete(MAN_DB_FLAG);
  await packages.apply(ctx);
  assert.is(await ctx.fs.stat(MAN_DB_FLAG), undefined);
  assert.equal(ctx.fs.writes, []);
});

test('a failed transaction still puts the trigger back', async () => {
  const ctx = stockMachine();
  ctx.$.on(/ apt-get .* install /, { exitCode: 100, stderr: 'E: Unable to locate package fail2ban\n' });
  await rejects(() => packages.apply(ctx), /Unable to locate package fail2ban/);
  assert.ok(await ctx.fs.stat(MAN_DB_FLAG));
});

test('a converged machine runs nothing that changes it', async () => {
  const ctx = stepContext(params);
  dpkg(ctx, ['sudo', 'ufw', 'fail2ban']);
  assert.equal(await packages.check(ctx), []);
  assert.equal(await packages.verify(ctx), []);
  assert.ok(ctx.$.commands.every((cmd) => QUERY.test(cmd)));
});

test('verify reports a package that went missing', async () => {
  const ctx = stepContext(params);
  dpkg(ctx, ['sudo', 'fail2ban']);
  assert.equal(await packages.verify(ctx), ['not installed: ufw']);
});

test(
  "a failed install fails the step with apt's reason, " + 'after one more try on package lists fetched anew',
  async () => {
    const ctx = stockMachine();
    ctx.$.on(/ apt-get .* install /, { stderr: 'E: Unable to locate package fail2ban\n', exitCode: 100 });
    await rejects(
      () => packages.apply(ctx),
      /apt-get install sudo ufw fail2ban failed \(exit 100\): E: Unable to locate package fail2ban/,
    );
    assert.equal(ctx.$.commands.slice(1), [
      UPDATE,
      INSTALL,
      'find /var/lib/apt/lists -type f -delete',
      UPDATE,
      INSTALL,
    ]);
  },
);

test(
  'package lists a power cut left empty (apt knows no such package) ' + 'are fetched anew, and the install goes on',
  async () => {
    const ctx = stockMachine();
    let listsGood = false;
    ctx.$.on('find /var/lib/apt/lists -type f -delete', () => ((listsGood = true), {}));
    const installed = ['sudo'];
    ctx.$.on(/ apt-get .* install /, () =>
      listsGood
        ? (installed.push('ufw', 'fail2ban'), {})
        : { stderr: "E: Package 'ufw' has no installation candidate\n", exitCode: 100 },
    );
    dpkg(ctx, installed);
    await packages.apply(ctx);
    assert.equal(await packages.check(ctx), []);
  },
);

test('other failures are not retried that way', async () => {
  const ctx = stockMachine();
  ctx.$.on(/ apt-get .* install /, {
    stderr: 'E: Sub-process /usr/bin/dpkg returned an error code (1)\n',
    exitCode: 100,
  });
  await rejects(() => packages.apply(ctx), /returned an error code/);
  assert.not.ok(ctx.$.commands.includes('find /var/lib/apt/lists -type f -delete'));
});

test.run();
