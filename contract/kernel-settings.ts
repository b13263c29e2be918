// Kernel and network settings: the original system's set (docs/HARDENING.md), plus the dev-sec
// linux-baseline, CIS Ubuntu 24.04 L1, Lynis KRNL-6000 and ANSSI BP-028 keys that are safe on a Hetzner
// Cloud server, x86_64 or aarch64. References: dev-sec sysctl-NN, CIS x.y.z, ANSSI R12/R14.
//
// Left out on purpose:
// - IPv6 router advertisements ignored (STATIC_IPV6_SETTINGS) where IPv6 does not come from them only:
//   Hetzner configures it statically (gateway fe80::1), but a network that relies on advertisements
//   would lose its IPv6 route, and with it maybe the way in. dad_transmits=0 (dev-sec sysctl-27) not at
//   all: duplicate address detection costs a second and catches a clash.
// - kernel.modules_disabled (dev-sec sysctl-29, Lynis): no module loads until reboot, so a later
//   WireGuard (Tailscale), nftables or file system module could never load.
// - kernel.unprivileged_userns_clone=0 (dev-sec Debian extra): breaks rootless podman, which the
//   original dev server uses.
// - kernel.perf_event_paranoid: Debian defaults to 3, which Lynis 3.0.8's profile wants, and Ubuntu to
//   4, stricter still; one value for both would weaken Ubuntu.
// - net.ipv4.tcp_timestamps=0 (dev-sec sysctl-07): costs TCP performance, Lynis accepts 1, CIS is silent.
// - icmp_ratelimit/icmp_ratemask (dev-sec sysctl-05/06): rate tuning, not hardening.
// - vm.mmap_rnd_bits (dev-sec ansible): its valid range depends on the architecture and page size.
// - IPv6 send_redirects (Lynis): IPv6 has no such key; mc_forwarding (Lynis): read-only.
// - ANSSI's arp_ignore=2 (answer only senders in the interface's subnet): Hetzner's gateway 172.31.1.1
//   is outside the server's /32, so the server would stop answering its gateway; 1 is kept.
// - ANSSI's drop_gratuitous_arp=1: a floating IP or failover address moves by gratuitous ARP.
// - ANSSI's route_localnet=0 on all: already the default, and kube-proxy (k3s on a dev server) sets 1,
//   which a later run would fight. ANSSI's perf_event_paranoid=2, perf_event_max_sample_rate=1 and
//   perf_cpu_time_max_percent=1: weaker than Debian's 3 and Ubuntu's 4, or no profiling on a dev server.
//   ANSSI's pid_max=65536, panic_on_oops=1 (an oops halts the server until someone resets it) and
//   ip_local_port_range: tuning with a cost, not a defence here.
// They are firstboot's own, the same whatever the config says: the sysctl step's code carries them
// (bundled into steps/sysctl.mjs, pinned with it by the plan's pieces digest), not the plan; `firstboot
// plan` shows them.

const both = (family: 'ipv4' | 'ipv6', name: string, value: string): [string, string][] => [
  [`net.${family}.conf.all.${name}`, value],
  [`net.${family}.conf.default.${name}`, value],
];

/**
 * The settings as sysctl.d lines, in file order; `forwarding` for a server that routes for others (a
 * Tailscale exit node or subnet router).
 */
export function kernelSettings(forwarding = false): [key: string, value: string][] {
  return [
    // --- routing: a server is not a router
    // forwarding: dev-sec sysctl-01/19, CIS 3.3.1; an exit node needs it, so it is left as it is then
    ...(forwarding
      ? []
      : ([
          ['net.ipv4.ip_forward', '0'],
          ['net.ipv6.conf.all.forwarding', '0'],
        ] as [string, string][])),
    // reverse-path filter drops spoofed sources (dev-sec sysctl-02, CIS 3.3.7); a router that forwards
    // between interfaces needs loose mode (2), which still drops sources no route leads back to
    ...both('ipv4', 'rp_filter', forwarding ? '2' : '1'),
    // no ICMP redirects sent (dev-sec sysctl-16, CIS 3.3.2) or obeyed (dev-sec sysctl-14/20, CIS 3.3.5)
    ...both('ipv4', 'send_redirects', '0'),
    ...both('ipv4', 'accept_redirects', '0'),
    ...both('ipv6', 'accept_redirects', '0'),
    // not even from the gateways we know (dev-sec sysctl-15, CIS 3.3.6)
    ...both('ipv4', 'secure_redirects', '0'),
    // source-routed packets pick their own path past filters (dev-sec sysctl-13, CIS 3.3.8)
    ...both('ipv4', 'accept_source_route', '0'),
    ...both('ipv6', 'accept_source_route', '0'),
    // log packets with impossible addresses (dev-sec sysctl-17, CIS 3.3.9)
    ...both('ipv4', 'log_martians', '1'),
    // answer ARP only for addresses of the interface asked, and announce only those (dev-sec sysctl-08/09)
    ...both('ipv4', 'arp_ignore', '1'),
    ...both('ipv4', 'arp_announce', '2'),
    // ARP answered on the interface the reply would leave by (ANSSI R12), so a second network (a Hetzner
    // private network) does not answer for the first
    ['net.ipv4.conf.all.arp_filter', '1'],
    // no packets from outside with one of our own addresses as source (ANSSI R12; the default, pinned)
    ['net.ipv4.conf.all.accept_local', '0'],
    // ICMP redirects for a shared medium are off with the rest (ANSSI R12; the default is 1)
    ...both('ipv4', 'shared_media', '0'),
    // --- ICMP and TCP
    // no smurf amplification (dev-sec sysctl-04, CIS 3.3.4)
    ['net.ipv4.icmp_echo_ignore_broadcasts', '1'],
    // no log noise from bogus ICMP errors (original; dev-sec sysctl-03, CIS 3.3.3)
    ['net.ipv4.icmp_ignore_bogus_error_responses', '1'],
    // SYN floods: cookies when the queue is full (original; dev-sec sysctl-11, CIS 3.3.10)
    ['net.ipv4.tcp_syncookies', '1'],
    // SYN floods: a deeper queue, fewer SYN-ACK retries (original)
    ['net.ipv4.tcp_max_syn_backlog', '2048'],
    ['net.ipv4.tcp_synack_retries', '2'],
    // TIME-WAIT assassination (dev-sec sysctl-10)
    ['net.ipv4.tcp_rfc1337', '1'],
    // --- kernel
    // JIT-compiled BPF hardened for every user (original; Lynis)
    ['net.core.bpf_jit_harden', '2'],
    // unprivileged BPF off for good: Debian's 2 lets root turn it back on, nothing here needs it (Lynis, dev-sec)
    ['kernel.unprivileged_bpf_disabled', '1'],
    // no kernel addresses for exploits (original; Lynis)
    ['kernel.kptr_restrict', '2'],
    // kernel log for root only (original; Lynis)
    ['kernel.dmesg_restrict', '1'],
    // ptrace only of one's own descendants. dev-sec wants 2 (root only), CIS 1.5.2 and the original 1:
    // 1 stops a compromised process reading another's secrets, and still lets the developer on this
    // dev server debug what they started (gdb, strace); Lynis accepts 1-3
    ['kernel.yama.ptrace_scope', '1'],
    // no replacing the running kernel: kexec is unused on cloud servers (dev-sec ansible)
    ['kernel.kexec_load_disabled', '1'],
    // no magic SysRq keys from the console (dev-sec sysctl-30, Lynis)
    ['kernel.sysrq', '0'],
    // address space layout randomisation, full (dev-sec sysctl-32, CIS 1.5.1)
    ['kernel.randomize_va_space', '2'],
    // no core dumps of setuid programs (dev-sec sysctl-31a, CIS 1.5.3)
    ['fs.suid_dumpable', '0'],
    // core files name their process (Lynis, dev-sec ansible)
    ['kernel.core_uses_pid', '1'],
    // link and file tricks in world-writable directories (dev-sec sysctl-34; Debian's defaults, pinned;
    // FIFOs at 2, as for regular files: no opening another user's FIFO in a sticky directory, Lynis)
    ['fs.protected_hardlinks', '1'],
    ['fs.protected_symlinks', '1'],
    ['fs.protected_fifos', '2'],
    ['fs.protected_regular', '2'],
    // users cannot make the kernel load a tty line discipline module (Lynis)
    ['dev.tty.ldisc_autoload', '0'],
    // no mapping at address 0, where a kernel NULL dereference would land (ANSSI R14; Debian's default, pinned)
    ['vm.mmap_min_addr', '65536'],
  ];
}

/** What the sysctl step sets. */
export const KERNEL_SETTINGS = kernelSettings();

/**
 * Router advertisements ignored, and no addresses or routes taken from them (dev-sec sysctl-21..26 and
 * 28, CIS 3.3.11, ANSSI R13): set only where none of the server's IPv6 comes from them, which the
 * sysctl step asks the kernel. A rogue advertisement on the link can then add no route or address. The
 * "all" and "default" keys are what scanners read; an interface takes "default" when it appears, so
 * one that was up before these were applied keeps its own values.
 */
export const STATIC_IPV6_SETTINGS: [string, string][] = [
  ...both('ipv6', 'accept_ra', '0'),
  ...both('ipv6', 'accept_ra_defrtr', '0'),
  ...both('ipv6', 'accept_ra_pinfo', '0'),
  ...both('ipv6', 'accept_ra_rtr_pref', '0'),
  ...both('ipv6', 'autoconf', '0'),
  ...both('ipv6', 'router_solicitations', '0'),
  // at most one address configured automatically (there are none with the above)
  ...both('ipv6', 'max_addresses', '1'),
];
