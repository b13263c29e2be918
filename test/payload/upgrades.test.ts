import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { upgrades, AUTO_UPGRADES, UNATTENDED } from '../../payload/steps/upgrades';
import { stepContext, type TestCtx } from './context';
import { rejects } from '../rejects';

const at4 = { id: 'upgrades' as const, reboot: '04:00' as string | false };

const AUTO =
  '# Written by firstboot: daily package lists and unattended upgrades. Changes here are undone on its next run.\n' +
  'APT::Periodic::Update-Package-Lists "1";\n' +
  'APT::Periodic::Unattended-Upgrade "1";\n' +
  'APT::Periodic::AutocleanInterval "7";\n';

const unattendedFile = (reboot: string) =>
  "# Written by firstboot: security updates on top of the distribution's origins, reboot policy. Changes here are undone on its next run.\n" +
  'Unattended-Upgrade::Origins-Pattern {\n' +
  '  "origin=Debian,codename=${distro_codename}-security,label=Debian-Security";\n' +
  '  "origin=Ubuntu,archive=${distro_codename}-security";\n' +
  '  "origin=UbuntuESMApps,archive=${distro_codename}-apps-security";\n' +
  '  "origin=UbuntuESM,archive=${distro_codename}-infra-security";\n' +
  '};\n' +
  reboot +
  'Unattended-Upgrade::Remove-Unused-Kernel-Packages "true";\n' +
  'Unattended-Upgrade::Remove-Unused-Dependencies "true";\n' +
  'Unattended-Upgrade::SyslogEnable "true";\n';

const UNATTENDED_AT_4 = unattendedFile('Unattended-Upgrade::Automatic-Reboot "true";\nUnattended-Upgrade::Automatic-Reboot-Time "04:00";\n');

/** apt-config dump on Debian 12 with both files in place (abridged: other apt settings elided): stock's origins, then ours */
const DUMP_AT_4 = `APT "";
APT::Architecture "amd64";
APT::Periodic "";
APT::Periodic::Update-Package-Lists "1";
APT::Periodic::Unattended-Upgrade "1";
APT::Periodic::AutocleanInterval "7";
Dir "/";
Unattended-Upgrade "";
Unattended-Upgrade::Origins-Pattern "";
Unattended-Upgrade::Origins-Pattern:: "origin=Debian,codename=\${distro_codename},label=Debian";
Unattended-Upgrade::Origins-Pattern:: "origin=Debian,codename=\${distro_codename},label=Debian-Security";
Unattended-Upgrade::Origins-Pattern:: "origin=Debian,codename=\${distro_codename}-security,label=Debian-Security";
Unattended-Upgrade::Origins-Pattern:: "origin=Debian,codename=\${distro_codename}-security,label=Debian-Security";
Unattended-Upgrade::Origins-Pattern:: "origin=Ubuntu,archive=\${distro_codename}-security";
Unattended-Upgrade::Origins-Pattern:: "origin=UbuntuESMApps,archive=\${distro_codename}-apps-security";
Unattended-Upgrade::Origins-Pattern:: "origin=UbuntuESM,archive=\${distro_codename}-infra-security";
Unattended-Upgrade::Allowed-Origins "";
Unattended-Upgrade::Automatic-Reboot "true";
Unattended-Upgrade::Automatic-Reboot-Time "04:00";
Unattended-Upgrade::Remove-Unused-Kernel-Packages "true";
Unattended-Upgrade::Remove-Unused-Dependencies "true";
Unattended-Upgrade::SyslogEnable "true";
CommandLine "";
CommandLine::AsString "apt-config dump";
`;

const UNITS = ['unattended-upgrades.service', 'apt-daily.timer', 'apt-daily-upgrade.timer'];

function unitsUp<P>(ctx: TestCtx<P>, up = true) {
  for (const unit of UNITS) {
    ctx.$.on(`systemctl is-enabled --quiet ${unit}`, { exitCode: up ? 0 : 1 });
    ctx.$.on(`systemctl is-active --quiet ${unit}`, { exitCode: up ? 0 : 3 });
  }
}

/** `systemctl enable --now` as systemd answers it: afterwards the unit is enabled and running */
function enableNow<P>(ctx: TestCtx<P>, sysvInstall = '/lib/systemd/systemd-sysv-install') {
  for (const unit of UNITS) {
    ctx.$.on(`systemctl enable --now ${unit}`, () => {
      ctx.$.on(`systemctl is-enabled --quiet ${unit}`, {}).on(`systemctl is-active --quiet ${unit}`, {});
      // the service also has a SysV script (it runs at shutdown), which systemctl keeps in step
      const name = unit.replace(/\.service$/, '');
      return unit.endsWith('.service')
        ? { stderr: `Synchronizing state of ${unit} with SysV service script with ${sysvInstall}.\nExecuting: ${sysvInstall} enable ${name}\n` }
        : {};
    });
  }
}

/** Debian 12 right after `apt-get install unattended-upgrades`: postinst wrote 20auto-upgrades (ucf) */
function debianStock<P>(ctx: TestCtx<P>) {
  ctx.fs.seed(AUTO_UPGRADES, 'APT::Periodic::Update-Package-Lists "1";\nAPT::Periodic::Unattended-Upgrade "1";\n');
  ctx.fs.seed('/etc/apt/apt.conf.d/50unattended-upgrades', 'Unattended-Upgrade::Origins-Pattern {\n};\n');
  unitsUp(ctx);
  enableNow(ctx);
}

test('Debian stock: owns 20auto-upgrades, adds the security-only file, enables the units', async () => {
  const ctx = stepContext(at4);
  debianStock(ctx);
  assert.equal(await upgrades.check(ctx), [`${AUTO_UPGRADES} differs`, `${UNATTENDED} is missing`]);
  const before = ctx.$.commands.length;
  await upgrades.apply(ctx);
  assert.equal(ctx.$.commands.slice(before), UNITS.map((unit) => `systemctl enable --now ${unit}`));
  assert.is(await ctx.fs.read(AUTO_UPGRADES), AUTO);
  assert.is(await ctx.fs.read(UNATTENDED), UNATTENDED_AT_4);
  assert.is((await ctx.fs.stat(UNATTENDED))?.mode, 0o644);
  assert.is(await ctx.fs.read('/etc/apt/apt.conf.d/50unattended-upgrades'), 'Unattended-Upgrade::Origins-Pattern {\n};\n');
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
  assert.ok(ran.every((cmd) => /^(systemctl is-(enabled|active) |apt-config dump$)/.test(cmd)), ran.join('\n'));
});

test('Ubuntu stock: its own 20auto-upgrades is replaced, a stopped unit is started', async () => {
  const ctx = stepContext(at4);
  ctx.fs.seed(AUTO_UPGRADES, 'APT::Periodic::Update-Package-Lists "1";\nAPT::Periodic::Unattended-Upgrade "1";\n', 0o600);
  ctx.fs.seed(UNATTENDED, UNATTENDED_AT_4);
  unitsUp(ctx);
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
  assert.equal(await upgrades.verify(ctx), ['apt-config: Unattended-Upgrade::Automatic-Reboot is "true", wants "false"']);
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

test('verify sees what apt sees: a later file, a lost security origin and stopped timers are problems; stock origins are kept', async () => {
  const ctx = stepContext(at4);
  unitsUp(ctx);
  ctx.$.on('systemctl is-active --quiet apt-daily-upgrade.timer', { exitCode: 3 });
  // e.g. a 60local file that re-adds Ubuntu's full archive and turns the reboot off
  const dump = DUMP_AT_4.replace('Unattended-Upgrade::Automatic-Reboot "true";', 'Unattended-Upgrade::Automatic-Reboot "false";')
    .replace('APT::Periodic::AutocleanInterval "7";\n', '')
    .replace('Unattended-Upgrade::Allowed-Origins "";', 'Unattended-Upgrade::Allowed-Origins "";\nUnattended-Upgrade::Allowed-Origins:: "${distro_id}:${distro_codename}";')
    .replace(/^Unattended-Upgrade::Origins-Pattern:: "origin=UbuntuESM,.*\n/m, '');
  ctx.$.on('apt-config dump', { stdout: dump });
  assert.equal(await upgrades.verify(ctx), [
    'apt-config: APT::Periodic::AutocleanInterval is unset, wants "7"',
    'apt-config: Unattended-Upgrade::Automatic-Reboot is "false", wants "true"',
    'unattended-upgrades does not take updates from: origin=UbuntuESM,archive=${distro_codename}-infra-security',
    'apt-daily-upgrade.timer is not running',
  ]);
});

test('apt-config failing fails verify with its message', async () => {
  const ctx = stepContext(at4);
  unitsUp(ctx);
  ctx.$.on('apt-config dump', { exitCode: 100, stderr: 'E: Syntax error /etc/apt/apt.conf.d/60local:3: Extra junk at end of file\n' });
  await rejects(() => upgrades.verify(ctx), /Syntax error \/etc\/apt\/apt.conf.d\/60local/);
});

test('enabling a unit that fails stops apply with systemctl\'s message', async () => {
  const ctx = stepContext(at4);
  debianStock(ctx);
  ctx.$.on('systemctl enable --now apt-daily.timer', { exitCode: 1, stderr: 'Failed to enable unit: Unit file apt-daily.timer does not exist.\n' });
  await rejects(() => upgrades.apply(ctx), /apt-daily.timer does not exist/);
});

test.run();
