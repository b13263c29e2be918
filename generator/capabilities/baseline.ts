// CIS level 1 items no other capability owns (the CIS benchmarks; Lynis BANN, AUTH, FILE, HRDN, NETW,
// STRG, SCHD). Nothing here can lock anyone out or stop a developer's tools:
// - squashfs and vfat stay loadable: snaps are squashfs, and ARM servers boot from a vfat EFI partition;
//   overlay, fuse and the tunnel modules too (containers, sshfs, Tailscale).
// - No password expiry (PASS_MAX_DAYS): accounts here log in with keys and have no password, and an
//   expired password makes PAM refuse even a key login (pam_unix's account check), which would lock
//   every account useradd makes later out after that many days.
import type { BaselinePlan } from '../../contract/plan';
import type { Capability } from './capability';

/**
 * No OS name or version, which /etc/issue's \s \r \v escapes and Debian's default text give away (CIS
 * 1.7.x); six of the words Lynis looks for in a legal banner (BANN-7126/7130 want five).
 */
export const BANNER = 'Authorised access only: this private system is logged and monitored.\n';

/**
 * Compilers root alone may run (Lynis HRDN-7222), when nobody else needs one: a user who can build
 * programs on the server can build exploits there too. Without the developer toolchain the only
 * compiler is binutils' assembler and linker, which needrestart pulls in and runs as root. With
 * `devtools`, or a toolchain among the user's own packages, the admin builds code, so nothing changes.
 */
export const ROOT_ONLY_COMPILERS = ['as', 'ld', 'cc', 'gcc', 'clang'];

/**
 * The user's own packages that bring a compiler for themselves (a package that builds as root, dkms,
 * does not count).
 */
export const toolchainPackage = (name: string): boolean =>
  /^(build-essential|tcc|rustc|cargo|(binutils|gcc|g\+\+|cpp|clang|llvm|gfortran|golang)(-[a-z0-9.+-]+)?)$/.test(name);

export function baselinePlan({
  admin,
  compilersRootOnly = false,
}: {
  admin: string;
  compilersRootOnly?: boolean;
}): BaselinePlan {
  return {
    id: 'baseline',
    banner: BANNER,
    blockedModules: [
      // file systems nobody mounts on a cloud server (CIS 1.1.1.x; Lynis FILE-6430)
      'cramfs',
      'freevxfs',
      'hfs',
      'hfsplus',
      'jffs2',
      'udf',
      // removable storage and FireWire: a cloud server has neither (CIS 1.1.1.x; Lynis STRG-1846/1848)
      'usb-storage',
      'firewire-core',
      // rarely used protocols with a history of remote kernel bugs (CIS 3.2.x; Lynis NETW-3200)
      'dccp',
      'sctp',
      'rds',
      'tipc',
    ],
    loginDefs: [
      // new files readable by their group at most (CIS 5.4.2.x; Lynis AUTH-9328); with USERGROUPS_ENAB a
      // user's own group gets the owner's bits, so 027 acts as 007 for them
      ['UMASK', '027'],
      // a password cannot be changed back at once, and expiry is warned of (CIS 5.4.1.x; Lynis AUTH-9286)
      ['PASS_MIN_DAYS', '1'],
      ['PASS_WARN_AGE', '7'],
      // passwords that chpasswd and newusers set are hashed with yescrypt, as PAM already does on Debian
      // 12+ and Ubuntu 24.04 (ANSSI R68); SHA-512 ones, should a tool ask for them, this hard (Lynis AUTH-9230)
      ['ENCRYPT_METHOD', 'YESCRYPT'],
      ['SHA_CRYPT_MIN_ROUNDS', '65536'],
      ['SHA_CRYPT_MAX_ROUNDS', '65536'],
    ],
    // CIS 2.4.1.8: only listed users may use cron; root always may, the admin must keep its crontab
    cronUsers: [admin],
    ...(compilersRootOnly && { rootOnly: ROOT_ONLY_COMPILERS }),
  };
}

export const baseline: Capability<'baseline'> = {
  id: 'baseline',
  plan: ({ config }) =>
    baselinePlan({
      admin: config.admin.name,
      compilersRootOnly: !config.devtools.enabled && !config.packages.some(toolchainPackage),
    }),
  // apparmor: the kernel's mandatory access control loads its profiles (CIS 1.3.1.1; Lynis MACF-6208;
  // Debian's kernel has it on, but minimal images lack the package that loads them); acct: process
  // accounting, which commands ran, by whom (Lynis ACCT-9622); debsums: checks installed files against
  // their packages' checksums on demand (Lynis PKGS-7370); for the admin at an upgrade: needrestart names
  // the services still running replaced libraries (Lynis DEB-0831), apt-listchanges shows a package's NEWS
  // of incompatible changes before it installs (Lynis DEB-0811), apt-show-versions lists what has updates
  // pending (Lynis PKGS-7394)
  packages: () => ['apparmor', 'acct', 'debsums', 'needrestart', 'apt-listchanges', 'apt-show-versions'],
};
