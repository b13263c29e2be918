// The admin account step: the account itself comes from the config as is (name, shell, keys).
import type { Capability } from './capability';
import { shellPackage } from './packages';
import { list, oneOf, section, string } from '../config/dsl';
import { secret } from '../config/kinds';
import * as msg from '../config/messages';

/**
 * The admin gets root through a file in /etc/sudoers.d, so sudo must be there: Debian's minimal images
 * (debootstrap, mmdebstrap --variant=minbase) do not include it. passwd (useradd, usermod) is not
 * Essential either.
 */
export const adminPackages: string[] = ['sudo', 'passwd'];

/**
 * Names the admin may not take: root, the system accounts of Debian and Ubuntu images, and the
 * groups useradd would collide with (it creates a group named after the user).
 */
export const RESERVED_USER_NAMES: readonly string[] = [
  'root',
  'daemon',
  'bin',
  'sys',
  'sync',
  'games',
  'man',
  'lp',
  'mail',
  'news',
  'uucp',
  'proxy',
  'www-data',
  'backup',
  'list',
  'irc',
  'gnats',
  'nobody',
  'nogroup',
  'messagebus',
  'sshd',
  'syslog',
  'polkitd',
  'tss',
  'uuidd',
  'tcpdump',
  'dnsmasq',
  'avahi',
  'landscape',
  'pollinate',
  'fwupd-refresh',
  'usbmux',
  'statd',
  'ntp',
  'postfix',
  'lxd',
  'dhcpcd',
  'fail2ban',
  'adm',
  'sudo',
  'wheel',
  'users',
  'staff',
  'disk',
  'kmem',
  'dialout',
  'cdrom',
  'floppy',
  'audio',
  'video',
  'plugdev',
  'netdev',
  'input',
  'render',
  'kvm',
  'tty',
  'shadow',
  'utmp',
  'operator',
  'src',
  'voice',
  'tape',
  'dip',
  'sasl',
  'crontab',
  'ssh',
  'ssl-cert',
  'systemd-journal',
];
/** Prefixes of system account names: systemd-network, systemd-timesync, _apt, _chrony, ... */
export const RESERVED_USER_PREFIXES: readonly string[] = ['systemd-', '_'];

export function isReservedUserName(name: string): boolean {
  return RESERVED_USER_NAMES.includes(name) || RESERVED_USER_PREFIXES.some((p) => name.startsWith(p));
}

export const SHELLS = [
  '/bin/bash',
  '/usr/bin/bash',
  '/bin/sh',
  '/bin/dash',
  '/usr/bin/zsh',
  '/bin/zsh',
  '/usr/bin/fish',
] as const;

export const adminSection = section(
  {
    name: string({
      doc:
        'The user you log in as. It gets passwordless sudo and is the only user sshd lets in (AllowUsers); ' +
        'root login is disabled. Root, system accounts and system group names are refused.',
      default: 'admin',
      expect: msg.expectUserName,
      pattern: /^[a-z_][a-z0-9_-]{0,31}$/,
      check: (name) => (isReservedUserName(name) ? msg.reservedUser(name) : undefined),
    }),
    shell: oneOf(SHELLS, {
      doc: "The admin's login shell. zsh and fish are installed when chosen.",
      default: '/bin/bash',
    }),
    ssh_keys: list(string({ doc: '', expect: msg.expectKey }), {
      doc:
        'SSH public keys allowed to log in as the admin: a key line ("ssh-ed25519 AAAA... me@laptop") or ' +
        'the path of a key file, read when the user-data is generated. A path starts with ~/, /, ./ or ../, ' +
        "or ends in .pub; relative paths are relative to this file's folder. Keys are parsed: ed25519, RSA " +
        'of 3072 bits or more (what sshd is set to accept), ECDSA, and FIDO (sk-) keys. At least one key is ' +
        'required, here or with `--ssh-key PATH`.',
      default: [],
    }),
    password: secret({
      doc:
        "A password for the console only (Hetzner's web console, or a rescue through VNC), when SSH is out " +
        'of reach: "secret:NAME", the value given at `firstboot apply` or `create --wait` ' +
        '(`--secret NAME=...`, at least 12 characters). SSH never takes passwords; sudo never asks for it. ' +
        'Without it the admin has no password at all.',
    }),
  },
  { doc: 'The administrator account.' },
);

export const admin: Capability<'admin'> = {
  id: 'admin',
  plan: ({ config: { admin } }) => ({
    id: 'admin',
    name: admin.name,
    shell: admin.shell,
    keys: admin.ssh_keys,
    ...(admin.password && { password: admin.password }),
  }),
  packages: ({ config }) => [
    ...adminPackages,
    ...[shellPackage(config.admin.shell)].filter((name): name is string => !!name),
  ],
};
