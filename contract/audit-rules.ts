// firstboot's audit rules: the original system's watches (docs/HARDENING.md), plus time changes, kernel
// modules and a few CIS Ubuntu 24.04 6.2.3.x rules. auditd is CIS Level 2 only; dev-sec package-08 and
// Lynis ACCT-9628/9630 want it running with rules.
// Must load on x86_64 and aarch64 (Hetzner's CAX servers): syscall rules are arch=b64 only and name
// syscalls both have (no stime, create_module or query_module, which aarch64 lacks). There is no b32
// twin: auditctl on aarch64 may not know the 32-bit ARM table, and one refused rule stops the load.
// Watched paths are ones Debian and Ubuntu have, or whose parent directory they have (a missing file
// under an existing directory is watched by name; the step skips a watch whose parent is missing).
// No `-e 2`: locked rules would make a re-run or a change impossible until the next reboot.
// They are firstboot's own, the same whatever the config says: the audit step's code carries them
// (bundled into steps/audit.mjs, pinned with it by the plan's pieces digest), not the plan; `firstboot
// plan` shows them.

const watch = (path: string, perms: string, key: string) => `-w ${path} -p ${perms} -k ${key}`;
const syscalls = (names: string[], key: string, filter = '') =>
  `-a always,exit -F arch=b64 -S ${names.join(',')}${filter} -k ${key}`;

/** processes started by a logged-in user (CIS's auid filter; auid is unset for boot-time services) */
const BY_USERS = ' -F auid>=1000 -F auid!=unset';

/** auditctl rule lines, in rules.d order */
export const AUDIT_RULES: readonly string[] = [
  // accounts and passwords (original; CIS 6.2.3.8)
  ...['/etc/passwd', '/etc/shadow', '/etc/group', '/etc/gshadow', '/etc/security/opasswd'].map((p) =>
    watch(p, 'wa', 'identity'),
  ),
  // who may become root (original; CIS 6.2.3.1)
  watch('/etc/sudoers', 'wa', 'sudoers'),
  watch('/etc/sudoers.d/', 'wa', 'sudoers'),
  // the way in (original)
  watch('/etc/ssh/sshd_config', 'wa', 'sshd'),
  watch('/etc/ssh/sshd_config.d/', 'wa', 'sshd'),
  // persistence through scheduled jobs (original, plus the periodic directories)
  ...[
    '/etc/crontab',
    '/etc/cron.d/',
    '/etc/cron.hourly/',
    '/etc/cron.daily/',
    '/etc/cron.weekly/',
    '/etc/cron.monthly/',
    '/var/spool/cron/',
  ].map((p) => watch(p, 'wa', 'cron')),
  // password ageing and login defaults (original)
  watch('/etc/login.defs', 'wa', 'login-defs'),
  // authentication stack (original)
  watch('/etc/pam.d/', 'wa', 'pam'),
  // clock changes hide or reorder evidence (CIS 6.2.3.4)
  syscalls(['adjtimex', 'settimeofday', 'clock_settime'], 'time-change'),
  watch('/etc/localtime', 'wa', 'time-change'),
  // kernel code loaded or removed, by any loader (CIS 6.2.3.19)
  syscalls(['init_module', 'finit_module', 'delete_module'], 'modules'),
  // insmod, modprobe and rmmod are symlinks to kmod: an exec is seen on kmod's inode, not theirs
  watch('/usr/bin/kmod', 'x', 'modules'),
  // file systems mounted by users, e.g. to bring in setuid binaries (CIS 6.2.3.10)
  syscalls(['mount'], 'mounts', BY_USERS),
  // the machine's network identity (CIS 6.2.3.5)
  syscalls(['sethostname', 'setdomainname'], 'system-locale'),
  watch('/etc/hosts', 'wa', 'system-locale'),
  watch('/etc/hostname', 'wa', 'system-locale'),
  // the audit configuration itself, so switching auditing off leaves a trace (CIS 6.2.4 protects these files)
  watch('/etc/audit/', 'wa', 'audit-config'),
  // what was run through sudo: the admin step's sudoers file sets this log (CIS 6.2.3.3)
  watch('/var/log/sudo.log', 'wa', 'sudo-log'),
  // every use of sudo by a person, as a privileged command (CIS 6.2.3.6, ANSSI BP-028 R33: the form
  // OpenSCAP's check reads, without an arch, which a path filter does not need)
  `-a always,exit -F path=/usr/bin/sudo -F perm=x${BY_USERS} -k privileged`,
];
