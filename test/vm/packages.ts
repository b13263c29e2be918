// What the VM images and the local repository hold, per Debian suite.
import { devtools } from '../../generator/capabilities/devtools';
import { geoip } from '../../generator/capabilities/geoip';
import type { PlanInput } from '../../generator/capabilities/capability';

export type Suite = 'bookworm' | 'trixie';
/** Debian's name for the guest's architecture: amd64 for Hetzner's x86 servers, arm64 for its CAX (Ampere) */
export type Arch = 'amd64' | 'arm64';

/**
 * The stock image: what a Hetzner Debian image has that matters to cloud-init and to us.
 * cloud-init's Debian renderer is ENI, so ifupdown plus a DHCP client ifupdown knows:
 * isc-dhcp-client on bookworm, dhcpcd-base on trixie (what ifupdown recommends there).
 * dbus and libpam-systemd bring up logind, which turns ACPI's power button into a clean shutdown.
 */
export function basePackages(suite: Suite, arch: Arch = 'amd64'): string[] {
  const dhcp = suite === 'bookworm' ? 'isc-dhcp-client' : 'dhcpcd-base';
  return [
    `linux-image-${arch}`,
    'systemd-sysv',
    'cloud-init',
    'openssh-server',
    'ifupdown',
    dhcp,
    'sudo',
    'ca-certificates',
    'dbus',
    'libpam-systemd',
  ];
}

/**
 * A minimal image: mmdebstrap's apt variant (Essential packages and apt) plus what boots a cloud
 * server, without sudo and CA certificates; what their dependencies do not pull in (tzdata among them)
 * is missing too, as on the minimal images users build. A step installs what it uses.
 */
export function minimalPackages(suite: Suite, arch: Arch = 'amd64'): string[] {
  return basePackages(suite, arch).filter((name) => name !== 'sudo' && name !== 'ca-certificates');
}

/**
 * What the payload (and the benchmark) may install on top, served from the local repository with
 * their dependencies and recommends. The same names exist on bookworm and trixie (audispd-plugins
 * included). Extend this when a step starts installing something new.
 */
export const EXTRA_PACKAGES = [
  'nodejs',
  'ufw',
  'fail2ban',
  'python3-systemd',
  'auditd',
  'audispd-plugins',
  'mosh',
  'unattended-upgrades',
  'apt-listchanges',
  'needrestart',
  'apt-show-versions',
  'libpam-pwquality',
  'libpam-tmpdir',
  'apparmor',
  'acct',
  'debsums',
  'htop',
  'zsh',
  'lynis',
  'openscap-scanner',
  'msmtp',
  ...devtools.packages!({} as PlanInput),
  ...geoip.packages!({} as PlanInput),
];
