// unattended-upgrades with the security pockets, with an automatic reboot at a set time or never.
// 20auto-upgrades turns the periodic run on: Ubuntu ships it and Debian's postinst may write it (ucf),
// so firstboot owns its exact content. 52firstboot-unattended-upgrades is read after the distro's
// 50unattended-upgrades; apt merges lists across files, so the distro's origins stay (Debian's include
// its point releases, label=Debian) and ours are added: never less than stock. Later scalar values
// override earlier ones.
import type { Step } from '../step';
import type { Shell } from '../lib/shell';
import { filesDrift, header, writeFiles, type FileSpec } from '../lib/files';
import { enableNow, unitsDown } from '../lib/systemd';

export const AUTO_UPGRADES = '/etc/apt/apt.conf.d/20auto-upgrades';
export const UNATTENDED = '/etc/apt/apt.conf.d/52firstboot-unattended-upgrades';

/** the service installs pending upgrades before a shutdown; the timers refresh the lists and upgrade */
const UNITS = ['unattended-upgrades.service', 'apt-daily.timer', 'apt-daily-upgrade.timer'];

/**
 * The security pockets, for Debian and Ubuntu alike: a pattern whose origin is not the machine's never
 * matches, so one file fits both. Ubuntu's ESM pockets only exist with Ubuntu Pro attached.
 */
export const SECURITY_ORIGINS = [
  'origin=Debian,codename=${distro_codename}-security,label=Debian-Security',
  'origin=Ubuntu,archive=${distro_codename}-security',
  'origin=UbuntuESMApps,archive=${distro_codename}-apps-security',
  'origin=UbuntuESM,archive=${distro_codename}-infra-security',
];

const PERIODIC: [string, string][] = [
  ['APT::Periodic::Update-Package-Lists', '1'],
  ['APT::Periodic::Unattended-Upgrade', '1'],
  // apt-get autoclean every 7 days, so downloaded packages do not fill the disk
  ['APT::Periodic::AutocleanInterval', '7'],
];

const unattendedSettings = (reboot: string | false): [string, string][] => [
  ['Unattended-Upgrade::Automatic-Reboot', reboot === false ? 'false' : 'true'],
  ...(reboot === false ? [] : ([['Unattended-Upgrade::Automatic-Reboot-Time', reboot]] as [string, string][])),
  ['Unattended-Upgrade::Remove-Unused-Kernel-Packages', 'true'],
  ['Unattended-Upgrade::Remove-Unused-Dependencies', 'true'],
  ['Unattended-Upgrade::SyslogEnable', 'true'],
];

const assignments = (settings: [string, string][]) => settings.map(([name, value]) => `${name} "${value}";\n`).join('');

function files(reboot: string | false): FileSpec[] {
  return [
    { path: AUTO_UPGRADES, content: header('daily package lists and unattended upgrades') + assignments(PERIODIC), mode: 0o644 },
    {
      path: UNATTENDED,
      content:
        header('security updates on top of the distribution\'s origins, reboot policy') +
        'Unattended-Upgrade::Origins-Pattern {\n' +
        SECURITY_ORIGINS.map((origin) => `  "${origin}";\n`).join('') +
        '};\n' +
        assignments(unattendedSettings(reboot)),
      mode: 0o644,
    },
  ];
}

/** apt's merged configuration: `Name "value";` lines, list items as `Name:: "value";` */
async function aptConfig($: Shell): Promise<{ values: Map<string, string>; lists: Map<string, string[]> }> {
  const values = new Map<string, string>();
  const lists = new Map<string, string[]>();
  for (const line of (await $`apt-config dump`).stdout.split('\n')) {
    const match = /^(\S+?)(::)? "(.*)";$/.exec(line);
    if (!match) continue;
    const [, name, item, value] = match;
    if (item) lists.set(name, [...(lists.get(name) ?? []), value]);
    else values.set(name, value);
  }
  return { values, lists };
}

export const upgrades: Step<'upgrades'> = {
  id: 'upgrades',
  title: 'unattended security upgrades',
  after: ['packages'],
  async check({ params, $, fs }) {
    return [...(await filesDrift(fs, files(params.reboot))), ...(await unitsDown($, UNITS))];
  },
  async apply({ params, $, fs }) {
    await writeFiles(fs, files(params.reboot));
    for (const unit of UNITS) await enableNow($, unit);
  },
  async verify({ params, $ }) {
    // apt's view after every file in apt.conf.d: a later file of someone else's would show here
    const { values, lists } = await aptConfig($);
    const problems: string[] = [];
    for (const [name, value] of [...PERIODIC, ...unattendedSettings(params.reboot)]) {
      const actual = values.get(name);
      if (actual !== value) problems.push(`apt-config: ${name} is ${actual === undefined ? 'unset' : `"${actual}"`}, wants "${value}"`);
    }
    const origins = lists.get('Unattended-Upgrade::Origins-Pattern') ?? [];
    const missing = SECURITY_ORIGINS.filter((o) => !origins.includes(o));
    if (missing.length > 0) problems.push(`unattended-upgrades does not take updates from: ${missing.join(', ')}`);
    return [...problems, ...(await unitsDown($, UNITS))];
  },
};
