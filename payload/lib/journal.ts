// Which journal entries are sshd's, told by the fields journald records itself: the sender's
// uid from the kernel's socket credentials (_UID), its executable (_EXE) and its cgroup (_SYSTEMD_UNIT,
// _SYSTEMD_SLICE). A process's name (_COMM, which prctl sets), its SYSLOG_IDENTIFIER (`logger -t sshd`)
// and the message are its own to choose, so any local user could otherwise log "Failed password for root
// from ADDR" and have fail2ban ban ADDR, or fake and drown out the report's logins. sudo's lines are
// not told apart here: they carry the caller's uid, and a user can bind-mount a program over
// /usr/bin/sudo in a namespace of their own, so the report reads sudo's audit records (daily-report.ts).
// _UID=0 because a user can run /usr/sbin/sshd itself (it is not setuid; LD_PRELOAD works); the unit
// because a container's root may send to the same journal.
//
// One term is a list of FIELD=VALUE: different fields must all hold, values of one field are
// alternatives. Terms are alternatives too: journalctl and fail2ban's journalmatch both take them
// joined by "+".

/** OpenSSH before 9.8 logs from /usr/sbin/sshd; 9.8+ (Debian 13) from its per-connection sshd-session. */
const SSHD_EXE = ['_EXE=/usr/sbin/sshd', '_EXE=/usr/lib/openssh/sshd-session'];

/**
 * Everything sshd logs as root: the listener and each connection's monitor, which also relays what the
 * unprivileged pre-auth child says. ssh.service, also when ssh.socket starts it (Debian, Ubuntu 24.04);
 * per-connection units of a socket with Accept=yes (ssh@.service, Debian 13's sshd@.service) sit in
 * their template's slice.
 */
export const SSHD_JOURNAL: string[][] = [
  ['_SYSTEMD_UNIT=ssh.service', '_UID=0', ...SSHD_EXE],
  ['_SYSTEMD_SLICE=system-ssh.slice', '_SYSTEMD_SLICE=system-sshd.slice', '_UID=0', ...SSHD_EXE],
];

/** As journalctl takes the terms on its command line: one argument a field, "+" between terms. */
export const journalArgs = (terms: string[][]): string[] => terms.flatMap((term, i) => (i ? ['+', ...term] : term));

/** As fail2ban's journalmatch takes them, and as `fail2ban-client status` prints them back. */
export const journalMatch = (terms: string[][]): string => journalArgs(terms).join(' ');
