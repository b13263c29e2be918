// The upgrades step on a recording shell (upgrades-machine.ts): unattended-upgrades' files and units on
// Debian and Ubuntu, the reboot policy, and verify. The security source is in upgrades-security.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { upgrades, AUTO_UPGRADES, UNATTENDED } from '../../payload/steps/upgrades';
import { stepContext } from './context';
import { rejects } from '../rejects';
import {
  at4,
  AUTO,
  unattendedFile,
  UNATTENDED_AT_4,
  DUMP_AT_4,
  UNITS,
  unitsUp,
  enableNow,
  debianWithSecurity,
  debianStock,
} from './upgrades-machine';

test('Debian stock: owns 20auto-upgrades, adds the security-only file, leaves the running units be', async () => {
  const ctx = stepContext(at4);
  debianStock(ctx);
  assert.equal(await upgrades.check(ctx), [`${AUTO_UPGRADES} differs`, `${UNATTENDED} is missing`]);
  const before = ctx.$.commands.length;
  await upgrades.apply(ctx);
  // the units are enabled and running: no systemctl enable (each one reloads systemd); apt already sees
  // the security archive: only a look at its lists
  assert.equal(ctx.$.commands.slice(before), [
    ...UNITS.flatMap((unit) => [`systemctl is-enabled --quiet ${unit}`, `systemctl is-active --quiet ${unit}`]),
    'apt-cache policy',
  ]);
  assert.is(await ctx.fs.read(AUTO_UPGRADES), AUTO);
  assert.is(await ctx.fs.read(UNATTENDED), UNATTENDED_AT_4);
  assert.is((await ctx.fs.stat(UNATTENDED))?.mode, 0o644);
  assert.is(
    await ctx.fs.read('/etc/apt/apt.conf.d/50unattended-upgrades'),
    'Unattended-Upgrade::Origins-Pattern {\n};\n',
  );
});

test('converged: check is empty, nothing written, only read-only commands; verify is clean', async () => {
  const ctx = stepContext(at4);
  debianStock(ctx);
  await upgrades.apply(ctx);
  const writes = ctx.fs.writes.length;
  const before = ctx.$.commands.length;
  assert.equal(await upgrades.check(ctx), []);
  ctx.$.on('apt-config dump', { stdout: DUMP_AT_4 });
  assert.equal(await upgrades.verify(ctx), []);
  assert.is(ctx.fs.writes.length, writes);
  const ran = ctx.$.commands.slice(before);
  assert.ok(
    ran.every((cmd) =>
      /^(systemctl is-(enabled|active) |apt-config dump$|apt-cache policy$|apt-get indextargets )/.test(cmd),
    ),
    ran.join('\n'),
  );
});

test('Ubuntu stock: its own 20auto-upgrades is replaced, a stopped unit is started', async () => {
  const ctx = stepContext(at4);
  ctx.fs.seed(
    AUTO_UPGRADES,
    'APT::Periodic::Update-Package-Lists "1";\nAPT::Periodic::Unattended-Upgrade "1";\n',
    0o600,
  );
  ctx.fs.seed(UNATTENDED, UNATTENDED_AT_4);
  unitsUp(ctx);
  debianWithSecurity(ctx);
  ctx.$.on('systemctl is-active --quiet unattended-upgrades.service', { exitCode: 3 });
  enableNow(ctx, '/usr/lib/systemd/systemd-sysv-install'); // Ubuntu 24.04's merged /usr
  assert.equal(await upgrades.check(ctx), [
    `${AUTO_UPGRADES} differs`,
    `${AUTO_UPGRADES} has mode 0600, wants 0644`,
    'unattended-upgrades.service is not running',
  ]);
  await upgrades.apply(ctx);
  assert.is(await ctx.fs.read(AUTO_UPGRADES), AUTO);
  assert.equal(ctx.fs.writes, [AUTO_UPGRADES]);
});

test('reboot: false writes Automatic-Reboot "false" and no time', async () => {
  const ctx = stepContext({ id: 'upgrades', reboot: false });
  debianStock(ctx);
  await upgrades.apply(ctx);
  assert.is(await ctx.fs.read(UNATTENDED), unattendedFile('Unattended-Upgrade::Automatic-Reboot "false";\n'));
  ctx.$.on('apt-config dump', { stdout: DUMP_AT_4.replace('Automatic-Reboot "true"', 'Automatic-Reboot "false"') });
  assert.equal(await upgrades.verify(ctx), []);
  ctx.$.on('apt-config dump', { stdout: DUMP_AT_4 });
  assert.equal(await upgrades.verify(ctx), [
    'apt-config: Unattended-Upgrade::Automatic-Reboot is "true", wants "false"',
  ]);
});

test('a change of reboot time rewrites only the unattended file', async () => {
  const ctx = stepContext(at4);
  debianStock(ctx);
  await upgrades.apply(ctx);
  ctx.params = { id: 'upgrades', reboot: '02:30' };
  assert.equal(await upgrades.check(ctx), [`${UNATTENDED} differs`]);
  const writes = ctx.fs.writes.length;
  await upgrades.apply(ctx);
  assert.equal(ctx.fs.writes.slice(writes), [UNATTENDED]);
  assert.match((await ctx.fs.read(UNATTENDED)) ?? '', /^Unattended-Upgrade::Automatic-Reboot-Time "02:30";$/m);
});

test(
  'verify sees what apt sees: a later file, ' +
    'a lost security origin and stopped timers are problems; stock origins are kept',
  async () => {
    const ctx = stepContext(at4);
    unitsUp(ctx);
    debianWithSecurity(ctx);
    ctx.$.on('systemctl is-active --quiet apt-daily-upgrade.timer', { exitCode: 3 });
    // e.g. a 60local file that re-adds Ubuntu's full archive and turns the reboot off
    const dump = DUMP_AT_4.replace(
      'Unattended-Upgrade::Automatic-Reboot "true";',
      'Unattended-Upgrade::Automatic-Reboot "false";',
    )
      .replace('APT::Periodic::AutocleanInterval "7";\n', '')
      .replace(
        'Unattended-Upgrade::Allowed-Origins "";',
        'Unattended-Upgrade::Allowed-Origins "";\n' +
          'Unattended-Upgrade::Allowed-Origins:: "${distro_id}:${distro_codename}";',
      )
      .replace(/^Unattended-Upgrade::Origins-Pattern:: "origin=UbuntuESM,.*\n/m, '');
    ctx.$.on('apt-config dump', { stdout: dump });
    assert.equal(await upgrades.verify(ctx), [
      'apt-config: APT::Periodic::AutocleanInterval is unset, wants "7"',
      'apt-config: Unattended-Upgrade::Automatic-Reboot is "false", wants "true"',
      'unattended-upgrades does not take updates from: origin=UbuntuESM,archive=${distro_codename}-infra-security',
      'apt-daily-upgrade.timer is not running',
    ]);
  },
);

test('apt-config failing fails verify with its message', async () => {
  const ctx = stepContext(at4);
  unitsUp(ctx);
  debianWithSecurity(ctx);
  ctx.$.on('apt-config dump', {
    exitCode: 100,
    stderr: 'E: Syntax error /etc/apt/apt.conf.d/60local:3: Extra junk at end of file\n',
  });
  await rejects(() => upgrades.verify(ctx), /Syntax error \/etc\/apt\/apt.conf.d\/60local/);
});

test('the units that are down are enabled and started in one systemctl call', async () => {
  const ctx = stepContext(at4);
  debianStock(ctx);
  ctx.$.on('systemctl is-active --quiet apt-daily.timer', { exitCode: 3 });
  ctx.$.on('systemctl is-enabled --quiet unattended-upgrades.service', { exitCode: 1 });
  ctx.$.on('systemctl enable --now unattended-upgrades.service apt-daily.timer', {});
  await upgrades.apply(ctx);
  assert.equal(
    ctx.$.commands.filter((c) => c.startsWith('systemctl enable')),
    ['systemctl enable --now unattended-upgrades.service apt-daily.timer'],
  );
});

test("enabling a unit that fails stops apply with systemctl's message", async () => {
  const ctx = stepContext(at4);
  debianStock(ctx);
  ctx.$.on('systemctl is-active --quiet apt-daily.timer', { exitCode: 3 });
  ctx.$.on('systemctl enable --now apt-daily.timer', {
    exitCode: 1,
    stderr: 'Failed to enable unit: Unit file apt-daily.timer does not exist.\n',
  });
  await rejects(() => upgrades.apply(ctx), /apt-daily.timer does not exist/);
});

test.run();
