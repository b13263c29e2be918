// unattended-upgrades with the security pockets, with an automatic reboot at a set time or never.
// 20auto-upgrades turns the periodic run on: Ubuntu ships it and Debian's postinst may write it (ucf),
// so firstboot owns its exact content. 52firstboot-unattended-upgrades is read after the distro's
// 50unattended-upgrades; apt merges lists across files, so the distro's origins stay (Debian's include
// its point releases, label=Debian) and ours are added: never less than stock. Later scalar values
// override earlier ones. Those origins are worth nothing if apt has no source for them (a minimal or
// custom image, a server reached by apply): the distribution's security archive is added then.
import type { Ctx, Step } from '../step';
import type { UpgradesPlan } from '../../contract/plan';
import type { Shell } from '../lib/shell';
import { aptReleases, aptSources, updateLists } from '../lib/apt';
import { filesDrift, header, writeFile, writeFiles, type FileSpec } from '../lib/files';
import { osRelease } from '../lib/os-release';
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
    {
      path: AUTO_UPGRADES,
      content: header('daily package lists and unattended upgrades') + assignments(PERIODIC),
      mode: 0o644,
    },
    {
      path: UNATTENDED,
      content:
        header("security updates on top of the distribution's origins, reboot policy") +
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

export const SECURITY_SOURCES = '/etc/apt/sources.list.d/firstboot-security.sources';

/**
 * Each distribution's security archive as its own images configure it, signed by the archive keyring
 * every install has. The components are the main suite's where it names any of these, else `fallback`.
 */
const SECURITY_ARCHIVES: Record<string, { uri: string; keyring: string; components: string[]; fallback: string[] }> = {
  debian: {
    uri: 'http://deb.debian.org/debian-security',
    keyring: '/usr/share/keyrings/debian-archive-keyring.gpg',
    components: ['main', 'contrib', 'non-free', 'non-free-firmware'],
    fallback: ['main'],
  },
  ubuntu: {
    uri: 'http://security.ubuntu.com/ubuntu',
    keyring: '/usr/share/keyrings/ubuntu-archive-keyring.gpg',
    components: ['main', 'restricted', 'universe', 'multiverse'],
    fallback: ['main', 'restricted', 'universe', 'multiverse'],
  },
};

/** SECURITY_ORIGINS' keys as `apt-cache policy` abbreviates them */
const POLICY_FIELD: Record<string, string> = { origin: 'o', codename: 'n', label: 'l', archive: 'a' };

/** Whether apt has the lists of a release that unattended-upgrades' security origins match. */
async function seesSecurity($: Shell, codename: string): Promise<boolean> {
  const patterns = SECURITY_ORIGINS.map((o) =>
    o
      .replaceAll('${distro_codename}', codename)
      .split(',')
      .map((term) => term.split('=')),
  );
  return (await aptReleases($)).some((release) =>
    patterns.some((terms) => terms.every(([key, value]) => release.get(POLICY_FIELD[key]) === value)),
  );
}

async function securityDrift({ $, fs }: Ctx<UpgradesPlan>): Promise<string[]> {
  const { codename } = await osRelease(fs);
  if (await seesSecurity($, codename)) return [];
  const configured = (await aptSources($)).some((s) => s.suite === `${codename}-security`);
  return [
    configured
      ? `apt has a source for ${codename}-security but not its package lists`
      : `apt has no source for ${codename}-security`,
  ];
}

/** The distribution's security source, unless one is configured already; then the lists, with it. */
async function addSecuritySource({ $, fs, log }: Ctx<UpgradesPlan>): Promise<void> {
  const { distro, codename } = await osRelease(fs);
  const sources = await aptSources($);
  let wrote = false;
  if (!sources.some((s) => s.suite === `${codename}-security`)) {
    const archive = SECURITY_ARCHIVES[distro];
    if (!archive)
      throw new Error(
        `apt sees no security release, and firstboot knows no security archive for ${distro} ${codename}`,
      );
    const main = archive.components.filter((c) => sources.some((s) => s.suite === codename && s.component === c));
    // one deb822 stanza, the format a .sources file takes
    const content =
      header(`${distro}'s security archive, which no other source named`) +
      `Types: deb
URIs: ${archive.uri}
Suites: ${codename}-security
Components: ${(main.length ? main : archive.fallback).join(' ')}
Signed-By: ${archive.keyring}
`;
    wrote = await writeFile(fs, { path: SECURITY_SOURCES, content, mode: 0o644 });
  }
  try {
    await updateLists($, log);
  } catch (error) {
    // a source apt cannot fetch would fail every later apt-get update, the other steps' included
    if (!wrote) throw error;
    await fs.remove(SECURITY_SOURCES);
    throw new Error(`${(error as Error).message}; removed ${SECURITY_SOURCES} again`);
  }
}

export const upgrades: Step<'upgrades'> = {
  id: 'upgrades',
  after: ['packages'],
  async check(ctx) {
    const { params, $, fs } = ctx;
    return [
      ...(await filesDrift(fs, files(params.reboot))),
      ...(await unitsDown($, UNITS)),
      ...(await securityDrift(ctx)),
    ];
  },
  async apply(ctx) {
    const { params, $, fs } = ctx;
    await writeFiles(fs, files(params.reboot));
    await enableNow($, ...UNITS);
    if ((await securityDrift(ctx)).length) await addSecuritySource(ctx);
  },
  async verify({ params, $, fs }) {
    // apt's view after every file in apt.conf.d: a later file of someone else's would show here
    const { values, lists } = await aptConfig($);
    const problems: string[] = [];
    for (const [name, value] of [...PERIODIC, ...unattendedSettings(params.reboot)]) {
      const actual = values.get(name);
      if (actual !== value)
        problems.push(`apt-config: ${name} is ${actual === undefined ? 'unset' : `"${actual}"`}, wants "${value}"`);
    }
    const origins = lists.get('Unattended-Upgrade::Origins-Pattern') ?? [];
    const missing = SECURITY_ORIGINS.filter((o) => !origins.includes(o));
    if (missing.length > 0) problems.push(`unattended-upgrades does not take updates from: ${missing.join(', ')}`);
    const { codename } = await osRelease(fs);
    if (!(await seesSecurity($, codename)))
      problems.push(
        `apt sees no security release for ${codename} (${codename}-security): unattended-upgrades has no ` +
          `security updates to install`,
      );
    return [...problems, ...(await unitsDown($, UNITS))];
  },
};
