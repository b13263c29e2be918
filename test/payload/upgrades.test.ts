import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { upgrades, AUTO_UPGRADES, SECURITY_SOURCES, UNATTENDED } from '../../payload/steps/upgrades';
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

const UNATTENDED_AT_4 = unattendedFile(
  'Unattended-Upgrade::Automatic-Reboot "true";\nUnattended-Upgrade::Automatic-Reboot-Time "04:00";\n',
);

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
        ? {
            stderr: `Synchronizing state of ${unit} with SysV service script with ${sysvInstall}.\nExecuting: ${sysvInstall} enable ${name}\n`,
          }
        : {};
    });
  }
}

const BOOKWORM =
  'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nID=debian\n';
const NOBLE =
  'PRETTY_NAME="Ubuntu 24.04.1 LTS"\nNAME="Ubuntu"\nVERSION_ID="24.04"\nVERSION_CODENAME=noble\nID=ubuntu\nID_LIKE=debian\n';

/** apt-cache policy's package files as Debian 12 shows them; `security` adds the security archive's */
const debianPolicy = (security: boolean) => `Package files:
 100 /var/lib/dpkg/status
     release a=now
${
  security
    ? ` 500 http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
     release v=12,o=Debian,a=oldstable-security,n=bookworm-security,l=Debian-Security,c=main,b=amd64
     origin deb.debian.org
`
    : ''
} 500 http://deb.debian.org/debian bookworm-updates/main amd64 Packages
     release v=12-updates,o=Debian,a=oldstable-updates,n=bookworm-updates,l=Debian,c=main,b=amd64
     origin deb.debian.org
 500 http://deb.debian.org/debian bookworm/non-free-firmware amd64 Packages
     release v=12.15,o=Debian,a=oldstable,n=bookworm,l=Debian,c=non-free-firmware,b=amd64
     origin deb.debian.org
 500 http://deb.debian.org/debian bookworm/main amd64 Packages
     release v=12.15,o=Debian,a=oldstable,n=bookworm,l=Debian,c=main,b=amd64
     origin deb.debian.org
Pinned packages:
`;

/** Ubuntu 24.04 without its security pocket: the one it has names the codename in n=, the pocket in a= */
const UBUNTU_POLICY = `Package files:
 100 /var/lib/dpkg/status
     release a=now
 500 http://archive.ubuntu.com/ubuntu noble-updates/main amd64 Packages
     release v=24.04,o=Ubuntu,a=noble-updates,n=noble,l=Ubuntu,c=main,b=amd64
     origin archive.ubuntu.com
 500 http://archive.ubuntu.com/ubuntu noble/main amd64 Packages
     release v=24.04,o=Ubuntu,a=noble,n=noble,l=Ubuntu,c=main,b=amd64
     origin archive.ubuntu.com
Pinned packages:
`;

const INDEXTARGETS = "apt-get indextargets --format '$(TARGET_OF) $(RELEASE) $(COMPONENT)'";
/** apt-get indextargets: one line per index (Packages, Translation...), so the same suite repeats */
const targets = (suites: string[], components: string[]) =>
  suites
    .flatMap((suite) => components.flatMap((c) => [`deb ${suite} ${c}`, `deb ${suite} ${c}`, `deb-src ${suite} ${c}`]))
    .join('\n') + '\n';

/** what apt has: the sources it names and the lists it fetched; `apt-get update` fetches every source's */
function aptHas<P>(ctx: TestCtx<P>, os: string, policy: { before: string; after: string }, sources: string) {
  ctx.fs.seed('/etc/os-release', os);
  ctx.$.on('apt-cache policy', { stdout: policy.before });
  ctx.$.on(INDEXTARGETS, { stdout: sources });
  ctx.$.on(/^apt-get .* update$/, () => (ctx.$.on('apt-cache policy', { stdout: policy.after }), {}));
}

const debianWithSecurity = <P>(ctx: TestCtx<P>) =>
  aptHas(
    ctx,
    BOOKWORM,
    { before: debianPolicy(true), after: debianPolicy(true) },
    targets(['bookworm', 'bookworm-updates', 'bookworm-security'], ['main']),
  );

/** Debian 12 right after `apt-get install unattended-upgrades`: postinst wrote 20auto-upgrades (ucf) */
function debianStock<P>(ctx: TestCtx<P>) {
  debianWithSecurity(ctx);
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
  // apt already sees the security archive: only a look at its lists
  assert.equal(ctx.$.commands.slice(before), [
    ...UNITS.map((unit) => `systemctl enable --now ${unit}`),
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

test('verify sees what apt sees: a later file, a lost security origin and stopped timers are problems; stock origins are kept', async () => {
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
      'Unattended-Upgrade::Allowed-Origins "";\nUnattended-Upgrade::Allowed-Origins:: "${distro_id}:${distro_codename}";',
    )
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
  debianWithSecurity(ctx);
  ctx.$.on('apt-config dump', {
    exitCode: 100,
    stderr: 'E: Syntax error /etc/apt/apt.conf.d/60local:3: Extra junk at end of file\n',
  });
  await rejects(() => upgrades.verify(ctx), /Syntax error \/etc\/apt\/apt.conf.d\/60local/);
});

test("enabling a unit that fails stops apply with systemctl's message", async () => {
  const ctx = stepContext(at4);
  debianStock(ctx);
  ctx.$.on('systemctl enable --now apt-daily.timer', {
    exitCode: 1,
    stderr: 'Failed to enable unit: Unit file apt-daily.timer does not exist.\n',
  });
  await rejects(() => upgrades.apply(ctx), /apt-daily.timer does not exist/);
});

const updates = (ctx: TestCtx<unknown>) => ctx.$.commands.filter((cmd) => /^apt-get .* update$/.test(cmd));

test("Debian without a security source: its security archive is added, in the main suite's components, and the lists fetched", async () => {
  const ctx = stepContext(at4);
  debianStock(ctx);
  aptHas(
    ctx,
    BOOKWORM,
    { before: debianPolicy(false), after: debianPolicy(true) },
    targets(['bookworm', 'bookworm-updates'], ['main', 'non-free-firmware']),
  );
  assert.ok((await upgrades.check(ctx)).includes('apt has no source for bookworm-security'));
  await upgrades.apply(ctx);
  assert.is(
    await ctx.fs.read(SECURITY_SOURCES),
    "# Written by firstboot: debian's security archive, which no other source named. Changes here are undone on its next run.\n" +
      'Types: deb\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\nComponents: main non-free-firmware\n' +
      'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n',
  );
  assert.is((await ctx.fs.stat(SECURITY_SOURCES))?.mode, 0o644);
  assert.is(updates(ctx).length, 1);
  assert.equal(await upgrades.check(ctx), []);
  ctx.$.on('apt-config dump', { stdout: DUMP_AT_4 });
  assert.equal(await upgrades.verify(ctx), []);
});

test("Ubuntu without a security source: security.ubuntu.com's pocket, signed by the Ubuntu archive keyring", async () => {
  const ctx = stepContext(at4);
  debianStock(ctx);
  const withSecurity = UBUNTU_POLICY.replace(
    ' 500 http://archive.ubuntu.com/ubuntu noble-updates',
    ' 500 http://security.ubuntu.com/ubuntu noble-security/main amd64 Packages\n     release v=24.04,o=Ubuntu,a=noble-security,n=noble,l=Ubuntu,c=main,b=amd64\n     origin security.ubuntu.com\n 500 http://archive.ubuntu.com/ubuntu noble-updates',
  );
  // a custom image's one source, a flat mirror that names no suite: the pocket gets Ubuntu's usual four components
  aptHas(ctx, NOBLE, { before: UBUNTU_POLICY, after: withSecurity }, 'deb ./ $(COMPONENT)\n');
  assert.ok((await upgrades.check(ctx)).includes('apt has no source for noble-security'));
  await upgrades.apply(ctx);
  assert.match(
    (await ctx.fs.read(SECURITY_SOURCES)) ?? '',
    /\nTypes: deb\nURIs: http:\/\/security\.ubuntu\.com\/ubuntu\nSuites: noble-security\nComponents: main restricted universe multiverse\nSigned-By: \/usr\/share\/keyrings\/ubuntu-archive-keyring\.gpg\n$/,
  );
  assert.equal(await upgrades.check(ctx), []);
});

test('a security release apt already sees: nothing written, no apt-get update', async () => {
  const ctx = stepContext(at4);
  debianStock(ctx);
  await upgrades.apply(ctx);
  assert.is(await ctx.fs.read(SECURITY_SOURCES), undefined);
  assert.equal(updates(ctx), []);
});

test('a security source whose lists are stale: no second source, only the lists fetched', async () => {
  const ctx = stepContext(at4);
  debianStock(ctx);
  aptHas(
    ctx,
    BOOKWORM,
    { before: debianPolicy(false), after: debianPolicy(true) },
    targets(['bookworm', 'bookworm-security'], ['main']),
  );
  assert.ok((await upgrades.check(ctx)).includes('apt has a source for bookworm-security but not its package lists'));
  await upgrades.apply(ctx);
  assert.is(await ctx.fs.read(SECURITY_SOURCES), undefined);
  assert.is(updates(ctx).length, 1);
  assert.equal(await upgrades.check(ctx), []);
});

test('verify fails when apt sees no security release, though another Debian release is there', async () => {
  const ctx = stepContext(at4);
  unitsUp(ctx);
  aptHas(ctx, BOOKWORM, { before: debianPolicy(false), after: debianPolicy(false) }, targets(['bookworm'], ['main']));
  ctx.$.on('apt-config dump', { stdout: DUMP_AT_4 });
  assert.equal(await upgrades.verify(ctx), [
    'apt sees no security release for bookworm (bookworm-security): unattended-upgrades has no security updates to install',
  ]);
});

test('a security archive apt cannot fetch: the source is removed again, so later apt runs still work, and apply fails', async () => {
  const ctx = stepContext(at4);
  debianStock(ctx);
  aptHas(ctx, BOOKWORM, { before: debianPolicy(false), after: debianPolicy(false) }, targets(['bookworm'], ['main']));
  ctx.$.on(/^apt-get .* update$/, {
    exitCode: 100,
    stderr:
      "E: The repository 'http://deb.debian.org/debian-security bookworm-security Release' does not have a Release file.\n",
  });
  await rejects(
    () => upgrades.apply(ctx),
    /does not have a Release file.*; removed \/etc\/apt\/sources\.list\.d\/firstboot-security\.sources again/,
  );
  assert.is(await ctx.fs.read(SECURITY_SOURCES), undefined);
});

test.run();
