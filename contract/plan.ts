// The plan: what the generator sends and the payload carries out. Pure JSON, no functions.

export interface Plan {
  /** firstboot version that made the plan */
  firstboot: string;
  /** sha256 of the normalised config, also a server label, so a server can be matched to its config */
  configHash: string;
  /** 'image' clears per-instance state and powers off at the end, for golden snapshots */
  mode: 'boot' | 'image';
  /** upstream code the payload needs, fetched on the server before any step runs */
  npm: { registry: string; packages: NpmPackage[] };
  /** where the payload's pieces that the user-data does not carry come from; none: it carries them all */
  pieces?: PiecesSource;
  steps: StepPlan[];
}

/**
 * firstboot's own pieces, fetched on the server and checked against one digest before any is written
 * (contract/pieces.ts). `from` is "npm" (the firstboot package of the plan's version, from the plan's
 * registry) or a base URL holding what `firstboot pieces --out` writes.
 */
export interface PiecesSource {
  from: string;
  /** piecesDigest over every file the build wrote to dist/payload/ */
  digest: string;
}

/** A package pinned by package-lock.json: exact version and its sha512 integrity (SRI form "sha512-<base64>"). */
export interface NpmPackage {
  name: string;
  version: string;
  integrity: string;
}

export type StepPlan =
  | PackagesPlan
  | MetadataPlan
  | HostnamePlan
  | TimezonePlan
  | AdminPlan
  | SshPlan
  | FirewallPlan
  | Fail2banPlan
  | AuditPlan
  | SysctlPlan
  | PamPlan
  | BaselinePlan
  | UpgradesPlan
  | ReportPlan
  | DevtoolsPlan
  | GeoipPlan
  | TailscalePlan
  | ExtrasPlan;

export type StepId = StepPlan['id'];
export type ParamsOf<I extends StepId> = Extract<StepPlan, { id: I }>;

/**
 * The steps that keep the owner able to log in: always inside the user-data, and first to the CPU on a
 * first boot (the runner runs the other steps' commands at a lower priority).
 */
export const WAY_IN: readonly StepId[] = ['packages', 'metadata', 'admin', 'ssh', 'firewall'];

/**
 * The plan's step of this id, or undefined when the config turned it off. The payload's steps look
 * theirs up inline: shared with them, this one line is a chunk of its own, 45 bytes of user-data.
 */
export const stepOf = <I extends StepId>(plan: Pick<Plan, 'steps'>, id: I) =>
  plan.steps.find((s): s is ParamsOf<I> => s.id === id);

/** Whom and where sshd lets in once the plan has run. */
export function loginOf(plan: Pick<Plan, 'steps'>): { admin: string; sshPort: number } {
  return { admin: stepOf(plan, 'admin')?.name ?? 'root', sshPort: stepOf(plan, 'ssh')?.port ?? 22 };
}

/** Everything the other steps need, installed in one apt transaction. */
export interface PackagesPlan {
  id: 'packages';
  install: string[];
}

/** Only root may reach the metadata service: the user-data it serves holds a secret. */
export interface MetadataPlan {
  id: 'metadata';
  addresses: string[];
}

/** The user's own packages, in a transaction of their own after the hardening. */
export interface ExtrasPlan {
  id: 'extras';
  install: string[];
}

export interface HostnamePlan {
  id: 'hostname';
  hostname: string;
}

export interface TimezonePlan {
  id: 'timezone';
  timezone: string;
}

export interface AdminPlan {
  id: 'admin';
  name: string;
  shell: string;
  /** authorized_keys lines */
  keys: string[];
  /** the secret holding the admin's console password; none means no password at all */
  password?: string;
}

export interface SshPlan {
  id: 'ssh';
  port: number;
  /** sshd keywords in drop-in order; crypto lists are filtered on the server to what its OpenSSH knows */
  settings: [keyword: string, value: string][];
  /** algorithm lists, best first; the server keeps those `ssh -Q` lists, in this order */
  crypto: { kexalgorithms: string[]; ciphers: string[]; macs: string[]; hostkeyalgorithms: string[] };
  /** host key types kept; others (ecdsa, dsa) are removed */
  hostKeys: ('ed25519' | 'rsa')[];
  /** RSA host keys below this are regenerated */
  minRsaBits: number;
  /** /etc/ssh/moduli entries below this size are removed */
  minModulusBits: number;
}

export interface FirewallRule {
  action: 'allow' | 'limit';
  /** a port or a range "from:to" */
  port: string;
  proto: 'tcp' | 'udp';
  /** why the rule exists; also marks rules as firstboot's so a re-run touches only its own */
  comment: string;
  /** SSH and mosh with tailscale.ssh_via_tailnet_only: public until the tailscale step has opened it on the tailnet */
  tailnet?: true;
}

export interface FirewallPlan {
  id: 'firewall';
  sshPort: number;
  rules: FirewallRule[];
}

export interface Fail2banPlan {
  id: 'fail2ban';
  sshPort: number;
  bantime: string;
  /** bantime in seconds, what `fail2ban-client get sshd bantime` must answer (the payload parses no durations) */
  bantimeSeconds: number;
  findtime: string;
  maxretry: number;
  /** repeat offenders, found in fail2ban's own log */
  recidive: { bantime: string; findtime: string; maxretry: number };
}

/** auditd with firstboot's rules, which the step's code carries (contract/audit-rules.ts), not the plan. */
export interface AuditPlan {
  id: 'audit';
}

/** The settings are firstboot's own (contract/kernel-settings.ts), in the step's code. */
export interface SysctlPlan {
  id: 'sysctl';
}

export interface PamPlan {
  id: 'pam';
}

/** CIS level 1 file settings no other step owns. */
export interface BaselinePlan {
  id: 'baseline';
  /** /etc/issue and /etc/issue.net (sshd's Banner): a warning that names nothing about the system */
  banner: string;
  /** kernel modules modprobe refuses to load: file systems and protocols a cloud server does not use */
  blockedModules: string[];
  /** /etc/login.defs settings */
  loginDefs: [key: string, value: string][];
  /** who besides root may use cron (cron.allow), when cron is installed */
  cronUsers: string[];
  /**
   * programs in /usr/bin that only root may run, those installed (the files their links lead to, made
   * root:root 0750 through dpkg-statoverride, which upgrades keep): compilers, when no user needs one
   */
  rootOnly?: string[];
}

export interface UpgradesPlan {
  id: 'upgrades';
  /** "HH:MM", or false to never reboot by itself */
  reboot: string | false;
}

/** The daily security report, mailed through msmtp by a systemd timer. */
export interface ReportPlan {
  id: 'report';
  to: string;
  from: string;
  /** "HH:MM", server time */
  time: string;
  smtp: {
    host: string;
    port: number;
    tls: 'starttls' | 'tls';
    user?: string;
    /** the secret holding the SMTP password */
    password?: string;
  };
  /** ports the plan opens, "PORT/PROTO" or "FROM:TO/PROTO", for the listening-ports section */
  open: string[];
}

/**
 * The developer toolchain: Debian's tools and Nix (packages step), Claude Code, Context7 and GSD from npm.
 * Their pins are firstboot's own, in the step's code (contract/devtools-pins.ts), not in the plan.
 */
export interface DevtoolsPlan {
  id: 'devtools';
  /** the admin: in the nix-users group, owner of Claude Code's settings and gh's login */
  user: string;
  /** Claude Code's native program, pinned (DEVTOOLS_PINS.claude) */
  claude?: true;
  /** the Context7 MCP server, pinned (DEVTOOLS_PINS.context7), registered in the admin's Claude Code settings */
  context7?: true;
  /** GSD (get-shit-done-cc), pinned (DEVTOOLS_PINS.gsd), laid out by its installer in the admin's ~/.claude */
  gsd?: true;
  /** the secret holding a GitHub token gh logs in with */
  github?: string;
  /** the weekly Nix garbage collection: what it deletes is older than this many days */
  nixGcDays?: number;
}

/** Only the listed countries (and what is always allowed) reach the guarded ports; other ports are untouched. */
export interface GeoipPlan {
  id: 'geoip';
  /** ISO 3166-1 alpha-2 codes, as the data writes them */
  countries: string[];
  /** the guarded ports, "PORT" or "FROM-TO", per protocol */
  tcp: string[];
  udp: string[];
  /** addresses and CIDR ranges always let through: the config's and the tailnet's */
  allow: string[];
  /** the country-IP data (CSV "FROM,TO,COUNTRY" per family) */
  data: NpmPackage;
}

/**
 * Tailscale from its signed apt repository, joined with an auth key; SSH and mosh over the tailnet
 * only, when asked.
 */
export interface TailscalePlan {
  id: 'tailscale';
  /** the repository, without the distribution: "REPOSITORY/DISTRO CODENAME main" */
  repository: string;
  /** the fingerprint its signing key must have (40 hex digits, uppercase) */
  key: string;
  /** the secret holding the auth key `tailscale up` reads from its file */
  authKey: string;
  /** more `tailscale up` flags: --hostname, --advertise-tags, --accept-dns */
  flags: string[];
  /** the firewall's public rules (tailnet-flagged) that move to the tailnet interface once SSH answers there */
  tailnetOnly: FirewallRule[];
}
