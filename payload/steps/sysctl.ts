// Kernel and network settings in a sysctl.d file, applied by restarting systemd-sysctl: the same program
// and file order as at boot, so what verify sees now is what the next boot gives (a later file that
// overrides a key shows up here, not after a reboot).
// The file holds plain `key = value` lines for the keys this kernel has, the form compliance scanners
// read (OpenSCAP's checks match `key = value` in sysctl.d files, and do not see a "-" prefix); a key
// absent from /proc/sys is left out with a comment, so `sysctl --system` never fails on it. The kernel
// lacks that feature, so there is nothing to set; verify logs it rather than failing. A key that
// appears later (a module loaded) makes the file differ, and the next run adds it.
// ufw applies its own sysctl.conf (log_martians=0 among it) whenever it starts: at every boot, in no set
// order with systemd-sysctl, and when the firewall step enables it. It runs /etc/ufw/after.init right
// after, and there this file is applied again, so the last value is firstboot's in any order, and this
// step need not wait for the firewall.
import type { Step } from '../step';
import type { Fs } from '../lib/fs';
import type { Log } from '../lib/log';
import { KERNEL_SETTINGS, STATIC_IPV6_SETTINGS } from '../../contract/kernel-settings';
import type { Shell } from '../lib/shell';
import { filesDrift, header, OWN_MARK, writeFiles, type FileSpec } from '../lib/files';

// systemd-sysctl reads every sysctl.d file in name order and the last value wins; Debian's procps
// ships protect-links.conf (fs.protected_fifos = 1), Ubuntu 99-protect-links.conf: a name after both
export const SYSCTL_FILE = '/etc/sysctl.d/zz-firstboot.conf';

function sysctlFile(settings: readonly [string, string][], live: Map<string, string>): FileSpec {
  const content =
    header('kernel and network settings, applied by systemd-sysctl') +
    settings
      .map(([key, value]) => (live.has(key) ? `${key} = ${value}\n` : `# ${key}: this kernel has no such key\n`))
      .join('');
  return { path: SYSCTL_FILE, content, mode: 0o644 };
}

export const UFW_HOOK = '/etc/ufw/after.init';

export const ufwHook: FileSpec = {
  path: UFW_HOOK,
  content:
    '#!/bin/sh\n' +
    header('kernel settings again, after ufw applies its own sysctl.conf') +
    `[ "$1" = start ] && sysctl -q -e -p ${SYSCTL_FILE}\nexit 0\n`,
  mode: 0o755,
};

/** what ufw's package copies to /etc/ufw when it installs: a hook that does nothing, and is not executable */
export const UFW_HOOK_TEMPLATE = '/usr/share/ufw/after.init';

/** The hook, unless /etc/ufw/after.init is an admin's own: that one stays, and the run says what it costs. */
async function hookOf(fs: Fs, log?: Log): Promise<FileSpec[]> {
  const now = await fs.read(UFW_HOOK);
  if (now === undefined || now.includes(OWN_MARK) || now === (await fs.read(UFW_HOOK_TEMPLATE))) return [ufwHook];
  log?.warn(`sysctl: ${UFW_HOOK} is not firstboot's; left alone, so ufw's sysctl.conf wins when ufw starts`);
  return [];
}

/** sysctl prints multi-value fields (e.g. ip_local_port_range) with tabs */
const normalise = (value: string) => value.trim().split(/\s+/).join(' ');

/** Live values of the keys this kernel has; absent keys are missing from the map. */
async function liveValues($: Shell, keys: string[]): Promise<Map<string, string>> {
  // one call: `sysctl KEY...` prints `key = value` for each key it has and complains about the others
  const out = await $({ nothrow: true })`sysctl ${keys}`;
  const values = new Map<string, string>();
  for (const line of out.stdout.split('\n')) {
    const match = /^(\S+) = (.*)$/.exec(line);
    if (match) values.set(match[1], normalise(match[2]));
  }
  if (values.size === 0 && !out.ok) throw new Error(`sysctl failed (exit ${out.exitCode}): ${out.stderr.trim()}`);
  return values;
}

/** "key is X, wants Y" for each key the kernel has with another value */
function differing(settings: readonly [string, string][], live: Map<string, string>): string[] {
  return settings
    .filter(([key, value]) => live.has(key) && live.get(key) !== normalise(value))
    .map(([key, value]) => `${key} is ${live.get(key)}, wants ${value}`);
}

/**
 * Whether some of this server's IPv6 comes from router advertisements: a route learned from one, or an
 * address configured from one (SLAAC's and DHCPv6's addresses both show as dynamic).
 */
async function advertised($: Shell): Promise<boolean> {
  const routes = await $({ nothrow: true })`ip -6 route show proto ra`;
  const addresses = await $({ nothrow: true })`ip -6 -o addr show scope global dynamic`;
  return `${routes.stdout}${addresses.stdout}`.trim() !== '';
}

/**
 * The step for these settings, and those that hold only where IPv6 is static (tests give it others).
 * Each phase asks again: a network that starts advertising is left to do so at the next run.
 */
export const sysctlStep = (
  always: readonly [string, string][],
  ifStatic: readonly [string, string][] = [],
): Step<'sysctl'> => {
  const chosen = async ($: Shell) => (ifStatic.length && !(await advertised($)) ? [...always, ...ifStatic] : always);
  return {
    id: 'sysctl',
    // systemd-sysctl and procps' sysctl are on every image: no need to wait for apt
    after: [],
    async check({ $, fs }) {
      const settings = await chosen($);
      const live = await liveValues(
        $,
        settings.map(([key]) => key),
      );
      return [
        ...(await filesDrift(fs, [sysctlFile(settings, live), ...(await hookOf(fs))])),
        ...differing(settings, live),
      ];
    },
    async apply({ $, fs, log }) {
      const settings = await chosen($);
      const live = await liveValues(
        $,
        settings.map(([key]) => key),
      );
      // the file before the hook that applies it
      await writeFiles(fs, [sysctlFile(settings, live), ...(await hookOf(fs, log))]);
      // it fails when any file has a line the kernel refuses, after applying everything else: the
      // runner's re-check then names what did not take, so a stranger's file does not fail this step by itself
      const applied = await $({ nothrow: true })`systemctl restart systemd-sysctl`;
      if (!applied.ok) log.warn(`sysctl: systemd-sysctl reported errors: ${applied.stderr.trim()}`);
    },
    async verify({ $, log }) {
      const settings = await chosen($);
      if (settings === always && ifStatic.length)
        log.warn('sysctl: IPv6 comes from router advertisements here; they stay accepted');
      const live = await liveValues(
        $,
        settings.map(([key]) => key),
      );
      for (const [key] of settings) if (!live.has(key)) log.warn(`sysctl: this kernel has no ${key}; skipped`);
      return differing(settings, live);
    },
  };
};

export const sysctl = sysctlStep(KERNEL_SETTINGS, STATIC_IPV6_SETTINGS);
