// What the upgrades step's tests share: the files it writes, apt-config's dump of them, and Debian 12 and Ubuntu
// 24.04 as their tools answer: the units, os-release, and the sources and lists apt has.
import { AUTO_UPGRADES } from '../../payload/steps/upgrades';
import { type TestCtx } from './context';

export const at4 = { id: 'upgrades' as const, reboot: '04:00' as string | false };

export const AUTO =
  '# Written by firstboot: daily package lists and unattended upgrades. Changes here are undone on its next run.\n' +
  'APT::Periodic::Update-Package-Lists "1";\n' +
  'APT::Periodic::Unattended-Upgrade "1";\n' +
  'APT::Periodic::AutocleanInterval "7";\n';

export const unattendedFile = (reboot: string) =>
  "# Written by firstboot: security updates on top of the distribution's origins, reboot policy. Changes here are " +
  'undone on its next run.\n' +
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

export const UNATTENDED_AT_4 = unattendedFile(
  'Unattended-Upgrade::Automatic-Reboot "true";\nUnattended-Upgrade::Automatic-Reboot-Time "04:00";\n',
);

/**
 * apt-config dump on Debian 12 with both files in place (abridged:
 * other apt settings elided): stock's origins, then ours
 */
export const DUMP_AT_4 = `APT "";
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

export const UNITS = ['unattended-upgrades.service', 'apt-daily.timer', 'apt-daily-upgrade.timer'];

export function unitsUp<P>(ctx: TestCtx<P>, up = true) {
  for (const unit of UNITS) {
    ctx.$.on(`systemctl is-enabled --quiet ${unit}`, { exitCode: up ? 0 : 1 });
    ctx.$.on(`systemctl is-active --quiet ${unit}`, { exitCode: up ? 0 : 3 });
  }
}

/** `systemctl enable --now` as systemd answers it: afterwards the unit is enabled and running */
export function enableNow<P>(ctx: TestCtx<P>, sysvInstall = '/lib/systemd/systemd-sysv-install') {
  for (const unit of UNITS) {
    ctx.$.on(`systemctl enable --now ${unit}`, () => {
      ctx.$.on(`systemctl is-enabled --quiet ${unit}`, {}).on(`systemctl is-active --quiet ${unit}`, {});
      // the service also has a SysV script (it runs at shutdown), which systemctl keeps in step
      const name = unit.replace(/\.service$/, '');
      return unit.endsWith('.service')
        ? {
            stderr:
              `Synchronizing state of ${unit} with SysV service script with ${sysvInstall}.\n` +
              `Executing: ${sysvInstall} enable ${name}\n`,
          }
        : {};
    });
  }
}

export const BOOKWORM =
  'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\n' +
  'VERSION_CODENAME=bookworm\nID=debian\n';

export const NOBLE =
  'PRETTY_NAME="Ubuntu 24.04.1 LTS"\nNAME="Ubuntu"\nVERSION_ID="24.04"\nVERSION_CODENAME=noble\nID=ubuntu\n' +
  'ID_LIKE=debian\n';

/** apt-cache policy's package files as Debian 12 shows them; `security` adds the security archive's */
export const debianPolicy = (security: boolean) => `Package files:
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
export const UBUNTU_POLICY = `Package files:
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

export const INDEXTARGETS = "apt-get indextargets --format '$(TARGET_OF) $(RELEASE) $(COMPONENT)'";

/** apt-get indextargets: one line per index (Packages, Translation...), so the same suite repeats */
export const targets = (suites: string[], components: string[]) =>
  suites
    .flatMap((suite) => components.flatMap((c) => [`deb ${suite} ${c}`, `deb ${suite} ${c}`, `deb-src ${suite} ${c}`]))
    .join('\n') + '\n';

/** what apt has: the sources it names and the lists it fetched; `apt-get update` fetches every source's */
export function aptHas<P>(ctx: TestCtx<P>, os: string, policy: { before: string; after: string }, sources: string) {
  ctx.fs.seed('/etc/os-release', os);
  ctx.$.on('apt-cache policy', { stdout: policy.before });
  ctx.$.on(INDEXTARGETS, { stdout: sources });
  ctx.$.on(/^apt-get .* update$/, () => (ctx.$.on('apt-cache policy', { stdout: policy.after }), {}));
}

export const debianWithSecurity = <P>(ctx: TestCtx<P>) =>
  aptHas(
    ctx,
    BOOKWORM,
    { before: debianPolicy(true), after: debianPolicy(true) },
    targets(['bookworm', 'bookworm-updates', 'bookworm-security'], ['main']),
  );

/** Debian 12 right after `apt-get install unattended-upgrades`: postinst wrote 20auto-upgrades (ucf) */
export function debianStock<P>(ctx: TestCtx<P>) {
  debianWithSecurity(ctx);
  ctx.fs.seed(AUTO_UPGRADES, 'APT::Periodic::Update-Package-Lists "1";\nAPT::Periodic::Unattended-Upgrade "1";\n');
  ctx.fs.seed('/etc/apt/apt.conf.d/50unattended-upgrades', 'Unattended-Upgrade::Origins-Pattern {\n};\n');
  unitsUp(ctx);
  enableNow(ctx);
}
