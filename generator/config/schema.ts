// firstboot.yaml: every option, documented once, here. The Config type, the README's config
// reference and firstboot.schema.json are generated from this file (npm run schema).
// A new section (tailscale, geoip, ...) is one entry in `schema` below, plus its rules in rules.ts if
// it clashes with other options.
import {
  boolean,
  either,
  integer,
  list,
  literal,
  map,
  oneOf,
  optional,
  secret,
  section,
  string,
  type Infer,
} from './dsl';
import { isIP } from 'node:net';
import * as msg from './messages';
import { parseAllow, parseRange, rangeProblem, rangeText, type Proto } from './ports';
import { durationSeconds } from '../capabilities/fail2ban';

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

/** Tailscale's apt repository signing key (https://pkgs.tailscale.com/stable/) */
const TAILSCALE_KEY = '2596A99EAAB33821893C0A79458CA832957F5868';

const EMAIL = /^[^\s@<>"]+@[a-z0-9-]+(\.[a-z0-9-]+)+$/i;

export const SHELLS = [
  '/bin/bash',
  '/usr/bin/bash',
  '/bin/sh',
  '/bin/dash',
  '/usr/bin/zsh',
  '/bin/zsh',
  '/usr/bin/fish',
] as const;

function hostnameProblem(name: string): string | undefined {
  if (name !== name.toLowerCase() && !hostnameProblem(name.toLowerCase())) return msg.hostnameLowercase(name);
  const label = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
  if (name.length > 253 || !name.split('.').every((l) => label.test(l))) return msg.mustBe(msg.expectHostname, name);
  return undefined;
}

/** An RFC 1123 host name, lowercase: the server's own, or one it talks to. */
const hostName = (opts: { doc: string; defaultText?: string }) =>
  string({
    ...opts,
    expect: msg.expectHostname,
    pattern: /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/,
    maxLength: 253,
    check: hostnameProblem,
  });

/** "HH:MM" in the server's time zone */
const timeOfDay = (opts: { doc: string; default?: string }) =>
  string({ ...opts, expect: msg.expectTimeOfDay, pattern: /^([01]\d|2[0-3]):[0-5]\d$/ });

function timezoneProblem(zone: string): string | undefined {
  // Intl also takes offsets (+01:00) and ignores case; the server needs a file under /usr/share/zoneinfo.
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(zone)) return msg.unknownTimezone(zone);
  let canonical: string;
  try {
    canonical = new Intl.DateTimeFormat('en', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return msg.unknownTimezone(zone);
  }
  if (canonical !== zone && canonical.toLowerCase() === zone.toLowerCase()) return msg.timezoneCase(zone, canonical);
  return undefined;
}

function allowProblem(text: string): string | undefined {
  const rule = parseAllow(text);
  return rule ? rangeProblem(rule, text.includes(':')) : msg.mustBe(msg.expectAllow, text);
}

/** "8000:8100/tcp" to { port: "8000:8100", proto: "tcp" }, the shape ufw rules take. */
function toRule(text: string): { port: string; proto: Proto } {
  const rule = parseAllow(text)!;
  return { port: rangeText(rule), proto: rule.proto };
}

/** an IPv4 or IPv6 address, or a CIDR range of either */
function addressProblem(text: string): string | undefined {
  const [address, bits, extra] = text.split('/');
  const family = isIP(address);
  if (!family || extra !== undefined) return msg.notAnAddress;
  if (bits !== undefined && !(/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128)))
    return msg.badPrefix(family === 4 ? 32 : 128);
  return undefined;
}

function moshRangeProblem(text: string): string | undefined {
  const range = parseRange(text);
  if (!range || !text.includes(':')) return msg.mustBe(msg.expectRange, text);
  return rangeProblem(range, true);
}

function durationProblem(text: string): string | undefined {
  let seconds: number;
  try {
    seconds = durationSeconds(text);
  } catch {
    return msg.mustBe(msg.expectDuration, text);
  }
  if (!Number.isFinite(seconds)) return msg.mustBe(msg.expectDuration, text);
  return seconds > 0 ? undefined : msg.durationZero(text);
}

const duration = (doc: string, fallback: string) =>
  string({ doc, default: fallback, expect: msg.expectDuration, pattern: /^\d+[smhdw]$/, check: durationProblem });

const enabled = (what: string) => boolean({ doc: `Turn ${what} on or off.`, default: true });

export const schema = section(
  {
    hostname: optional(
      hostName({
        doc: "The server's hostname, set in /etc/hostname and /etc/hosts, kept across reboots (cloud-init would otherwise set it back from Hetzner's metadata).",
        defaultText: 'the name Hetzner gives the server (its server name)',
      }),
    ),
    timezone: string({
      doc: 'The system time zone, an IANA name. UTC keeps logs comparable across servers; set your own zone if you read the logs by local time.',
      default: 'Etc/UTC',
      expect: msg.expectTimezone,
      pattern: /^[A-Za-z][A-Za-z0-9_+\-/]*$/,
      check: timezoneProblem,
    }),
    admin: section(
      {
        name: string({
          doc: 'The user you log in as. It gets passwordless sudo and is the only user sshd lets in (AllowUsers); root login is disabled. Root, system accounts and system group names are refused.',
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
          doc: 'SSH public keys allowed to log in as the admin: a key line ("ssh-ed25519 AAAA... me@laptop") or the path of a key file, read when the user-data is generated. A path starts with ~/, /, ./ or ../, or ends in .pub; relative paths are relative to this file\'s folder. Keys are parsed: ed25519, RSA of 3072 bits or more (what sshd is set to accept), ECDSA, and FIDO (sk-) keys. At least one key is required, here or with `--ssh-key PATH`.',
          default: [],
        }),
        password: secret({
          doc: 'A password for the console only (Hetzner\'s web console, or a rescue through VNC), when SSH is out of reach: "secret:NAME", the value given at `firstboot apply` or `create --wait` (`--secret NAME=...`, at least 12 characters). SSH never takes passwords; sudo never asks for it. Without it the admin has no password at all.',
        }),
      },
      { doc: 'The administrator account.' },
    ),
    ssh: section(
      {
        port: integer({
          doc: 'The port sshd listens on. The firewall opens it with a rate limit. Another port than 22 cuts log noise from scanners; it is not a security boundary.',
          default: 22,
          min: 1,
          max: 65535,
        }),
        forwarding: oneOf(['no', 'local'] as const, {
          doc: 'TCP forwarding through SSH. "local" allows `ssh -L` and what is built on it (VS Code Remote-SSH, port forwards to a dev server), from the client to the server\'s side only; remote forwards (`ssh -R`), which open ports on the server, stay off either way.',
          default: 'no',
        }),
      },
      {
        doc: 'The SSH server. Its hardening (keys only, no root, modern crypto) is not configurable, apart from forwarding.',
      },
    ),
    firewall: section(
      {
        allow: list(
          map(
            string({
              doc: '',
              expect: msg.expectAllow,
              pattern: /^\d{1,5}(:\d{1,5})?\/(tcp|udp)$/,
              check: allowProblem,
            }),
            toRule,
          ),
          {
            doc: 'Extra ports to open to everyone, as "PORT/PROTO" or "FROM:TO/PROTO" with PROTO tcp or udp. Everything else coming in is dropped. The SSH port and the mosh range are opened already: do not list them.',
            default: [],
          },
        ),
      },
      { doc: 'The firewall (ufw): incoming traffic denied, outgoing allowed, IPv4 and IPv6.' },
    ),
    mosh: section(
      {
        enabled: enabled('mosh (the mobile shell) and its UDP ports'),
        ports: string({
          doc: 'The UDP port range mosh servers use, "FROM:TO". Each open mosh session takes one port.',
          default: '60000:60010',
          expect: msg.expectRange,
          pattern: /^\d{1,5}:\d{1,5}$/,
          check: moshRangeProblem,
        }),
      },
      { doc: 'mosh, a shell that survives roaming and sleep.' },
    ),
    fail2ban: section(
      {
        enabled: enabled('fail2ban'),
        bantime: duration(
          'How long an address that failed too often is banned (N s, m, h, d or w). A recidive jail bans repeat offenders for a week.',
          '1h',
        ),
        findtime: duration('The window in which failures are counted.', '10m'),
        maxretry: integer({
          doc: 'Failures within findtime that get an address banned.',
          default: 3,
          min: 1,
          max: 100,
        }),
      },
      { doc: 'fail2ban bans addresses that keep failing SSH logins, read from the systemd journal.' },
    ),
    audit: section(
      {
        enabled: enabled(
          'auditd and its watch rules (identity files, sudoers, sshd config, cron, PAM, time, kernel modules)',
        ),
      },
      { doc: 'The Linux audit daemon: a record of who changed the files that grant access.' },
    ),
    sysctl: section(
      { enabled: enabled('the kernel and network hardening settings') },
      {
        doc: "Kernel and network hardening through sysctl (e.g. no redirects, no source routing, restricted dmesg and ptrace; IPv6 router advertisements ignored where the server's IPv6 is static, as at Hetzner).",
      },
    ),
    upgrades: section(
      {
        enabled: enabled('automatic security upgrades (unattended-upgrades)'),
        reboot: either(timeOfDay({ doc: '' }), literal(false, 'never reboot by itself'), {
          doc: 'When an upgrade needs a reboot: the time of day to reboot ("HH:MM", quoted, in the server\'s time zone), or false to never reboot by itself (then reboot yourself, or a patched kernel never runs).',
          default: '04:00',
        }),
      },
      {
        doc: "Security upgrades from Debian and Ubuntu, installed every day, on top of what the distribution's own unattended-upgrades takes (Debian's point releases). Where apt has no source for the distribution's security archive (a minimal or custom image), firstboot adds it in /etc/apt/sources.list.d/firstboot-security.sources, and `firstboot check` fails while apt sees no security release.",
      },
    ),
    report: section(
      {
        enabled: boolean({ doc: 'Turn the daily security report on or off.', default: false }),
        to: optional(
          string({
            doc: 'The address the report goes to (required when the report is on).',
            expect: msg.expectEmail,
            pattern: EMAIL,
          }),
        ),
        from: optional(
          string({
            doc: 'The sender address.',
            defaultText: 'smtp.user, when it is an address',
            expect: msg.expectEmail,
            pattern: EMAIL,
          }),
        ),
        time: timeOfDay({
          doc: 'When it is sent every day, "HH:MM" in the server\'s time zone (quoted). A server that was off then sends it once it is up again.',
          default: '07:00',
        }),
        smtp: section(
          {
            host: optional(hostName({ doc: 'The SMTP server (required when the report is on).' })),
            port: integer({
              doc: 'Its port: 587 for STARTTLS, 465 for TLS from the first byte.',
              default: 587,
              min: 1,
              max: 65535,
            }),
            tls: oneOf(['starttls', 'tls'] as const, {
              doc: "How the connection is encrypted; it always is, and the server's certificate is checked against the system's CA certificates.",
              default: 'starttls',
            }),
            user: optional(
              string({
                doc: "The SMTP login; without it, no AUTH (a relay that trusts the server's address).",
                expect: 'a user name or address',
                pattern: /^[^\s:]+$/,
              }),
            ),
            password: secret({
              doc: 'The SMTP password: "secret:NAME", given at `firstboot apply` or `create --wait`. It stays in the root-only secrets folder; msmtp reads it from there each time it sends.',
            }),
          },
          { doc: 'The mail server the report goes through (msmtp).' },
        ),
      },
      {
        doc: 'A daily security report by email (a systemd timer runs `firstboot report --now`): the result of `firstboot check`, failed SSH logins and fail2ban bans of the last day, sudo use, audit events by rule, pending upgrades and a due reboot, disk and memory, and listening ports the plan does not know. `sudo firstboot report --print` shows it without mailing.',
      },
    ),
    devtools: section(
      {
        enabled: boolean({
          doc: 'Turn the developer toolchain on or off: git, gh, sqlite3, the PostgreSQL and Redis clients and build-essential from the distribution, and Nix (its daemon running, flakes and the nix command on, the admin in nix-users).',
          default: false,
        }),
        claude: boolean({
          doc: 'Claude Code for the admin (`claude`), its native program from the npm registry, pinned by version and sha512 (`npm run pins` refreshes the pins).',
          default: true,
        }),
        context7: boolean({
          doc: "The Context7 MCP server from the npm registry, pinned (its whole dependency tree), registered in the admin's Claude Code settings. It needs Node.js 20.18.1 or later: Debian 13 has it; Debian 12 and Ubuntu 24.04 do not, and `generate` says so.",
          default: false,
        }),
        github_token: secret({
          doc: 'A GitHub token gh logs the admin in with: "secret:NAME", given at `firstboot apply` or `create --wait`; gh keeps it in the admin\'s own ~/.config/gh. Without it, run `gh auth login` once.',
        }),
      },
      { doc: "A developer's server: the toolchain, Nix, Claude Code with Context7, and gh logged in." },
    ),
    geoip: section(
      {
        enabled: boolean({ doc: 'Turn GeoIP blocking on or off.', default: false }),
        countries: list(string({ doc: '', expect: msg.expectCountry, pattern: /^[A-Z]{2}$/ }), {
          doc: 'The countries allowed to reach the guarded ports (required when GeoIP blocking is on), as ISO 3166-1 alpha-2 codes: DE, AT, US.',
          default: [],
        }),
        ports: list(
          map(
            string({
              doc: '',
              expect: msg.expectAllow,
              pattern: /^\d{1,5}(:\d{1,5})?\/(tcp|udp)$/,
              check: allowProblem,
            }),
            toRule,
          ),
          {
            doc: 'The ports guarded, "PORT/PROTO" or "FROM:TO/PROTO"; every other port is left as the firewall has it.',
            defaultText: 'the SSH port and the mosh range',
            default: [],
          },
        ),
        always_allow: list(string({ doc: '', expect: msg.expectAddress, check: addressProblem }), {
          doc: "Addresses and CIDR ranges let through from anywhere: where you travel from, a VPN's exit, a monitoring service. Loopback, the tailnet (100.64.0.0/10, fd7a:115c:a1e0::/48) and the private networks the server is attached to always are.",
          default: [],
        }),
        data: section(
          {
            package: optional(
              string({
                doc: 'The package, "NAME@VERSION", holding NAME-ipv4.csv and NAME-ipv6.csv (NAME without its scope) with lines "FROM,TO,COUNTRY".',
                expect: msg.expectPackageVersion,
                pattern: /^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*@[\w.+-]+$/,
              }),
            ),
            integrity: optional(
              string({
                doc: 'Its tarball\'s sha512, "sha512-..." as package-lock.json writes it.',
                expect: msg.expectIntegrity,
                pattern: /^sha512-[A-Za-z0-9+/]{86}==$/,
              }),
            ),
          },
          {
            doc: 'Country data of your own instead of the pinned geo-whois-asn-country: a package on the npm registry (or the one `--registry` names), in the same layout, pinned by its sha512.',
          },
        ),
      },
      {
        doc: "Lets only some countries reach SSH (and mosh), IPv4 and IPv6, from pinned country-IP data (geo-whois-asn-country, CC0). The owner's address (where `apply` or `create --wait` logs in from) is always let through, and nothing is blocked until it is known; nothing goes live that would cut off an authenticated SSH or mosh session.",
      },
    ),
    tailscale: section(
      {
        enabled: boolean({ doc: 'Turn Tailscale on or off.', default: false }),
        auth_key: secret({
          doc: 'The auth key the server joins the tailnet with (required when Tailscale is on): "secret:NAME", given at `firstboot apply` or `create --wait`. `tailscale up` reads it from the root-only secrets folder, never from a command line. Until it is given, the step waits and SSH stays public.',
        }),
        hostname: optional(hostName({ doc: "The node's name in the tailnet.", defaultText: "the server's hostname" })),
        tags: list(string({ doc: '', expect: msg.expectTag, pattern: /^tag:[A-Za-z][A-Za-z0-9-]*$/ }), {
          doc: 'Tags the node advertises ("tag:server"); the auth key must be allowed to set them. A tagged node does not expire with a user\'s login.',
          default: [],
        }),
        accept_dns: boolean({ doc: "Use the tailnet's DNS settings (MagicDNS) on the server.", default: true }),
        ssh_via_tailnet_only: boolean({
          doc: "SSH (and mosh) only over the tailnet: once tailscaled runs, the node has its tailnet address and sshd answers there, and a login from your side through the tailnet name worked (`apply` and `create --wait` do it), ufw allows them on tailscale0 only, `create --firewall` closes them at Hetzner's edge, and the Host block firstboot writes uses the tailnet name. Before that, and without the auth key, SSH stays public. Needs `admin.password`: node keys expire and a tailnet ACL can drop port 22, and then the console is the way back in.",
          default: false,
        }),
        repository: section(
          {
            url: string({
              doc: 'The apt repository, without the distribution (DISTRO/ and CODENAME are added).',
              default: 'https://pkgs.tailscale.com/stable',
              expect: msg.expectUrl,
              pattern: /^https?:\/\/[^\s/]+(\/[^\s]*[^\s/])?$/,
            }),
            key: string({
              doc: 'The fingerprint of the key the repository is signed with; the key file it serves is refused when it differs.',
              default: TAILSCALE_KEY,
              expect: msg.expectFingerprint,
              pattern: /^[0-9A-F]{40}$/,
            }),
          },
          {
            doc: 'Where Tailscale comes from: its signed apt repository (the key fetched and checked against the fingerprint before apt trusts it, for that repository only), or a mirror of it.',
          },
        ),
      },
      {
        doc: 'Tailscale, from its signed apt repository, joined with an auth key; optionally the only way to SSH in, closed publicly only once it is proven to work.',
      },
    ),
    packages: list(string({ doc: '', expect: msg.expectPackage, pattern: /^[a-z0-9][a-z0-9+.-]+$/ }), {
      doc: "Extra Debian packages to install, in the same apt transaction as firstboot's own.",
      default: [],
    }),
  },
  {
    doc: 'firstboot.yaml: what firstboot makes of a fresh Hetzner Cloud server. Every option has a safe default; only an SSH public key is required.',
  },
);

/** The resolved config: defaults filled in, admin.ssh_keys holding key lines (no paths). */
export type Config = Infer<typeof schema>;
