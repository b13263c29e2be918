// Tailscale from its signed apt repository, never an install script: the repository's key is fetched,
// checked against the plan's fingerprint and trusted for that repository alone (signed-by); a repository
// that fails its signature check leaves apt as it was. The node joins with the auth key from its
// root-only secret file (`tailscale up` reads the file: the key is on no command line). With
// ssh_via_tailnet_only, lockout rule 5 (docs/ARCHITECTURE.md), in two phases: SSH and mosh are opened
// on tailscale0 once tailscaled runs, the node has its tailnet address and sshd answers there, and the
// tailnet name is written for apply to read; they close publicly only once the owner's side has logged
// in through that name (apply writes the login's SSH_CONNECTION: payload/lib/probe.ts), which proves the
// ACLs and the owner's own machine too.
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import type { FirewallRule, TailscalePlan } from '../../contract/plan';
import { SERVER_PATHS } from '../../contract/paths';
import type { Ctx, Step } from '../step';
import type { Shell } from '../lib/shell';
import { fileDrift, header, writeFile as writeSpec, type FileSpec } from '../lib/files';
import { install, missingPackages, updateLists } from '../lib/apt';
import { download } from '../lib/npm';
import { primaryFingerprints } from '../lib/openpgp';
import { osRelease } from '../lib/os-release';
import { enableNow, unitsDown } from '../lib/systemd';
import { tailnetComment, TAILNET_INTERFACE } from '../../contract/firewall-names';
import { addedRules, tailnetRules, type UfwRule } from '../lib/ufw';
import { sshAnswersOnTailnet, tailnetAddress, tailnetLoginProven } from '../lib/probe';
import { TAILNET_LOGIN_PENDING } from '../../contract/status';

export const KEYRING = '/usr/share/keyrings/tailscale-archive-keyring.gpg';
const LIST = '/etc/apt/sources.list.d/tailscale.list';
/** the list apt-get update tries before LIST is written */
const CANDIDATE = '/run/firstboot-tailscale.list';
const DAEMON = 'tailscaled.service';

/** The apt source line, as Tailscale's own instructions write it. */
export const aptSource = (repository: string, distro: string, codename: string) =>
  `deb [signed-by=${KEYRING}] ${repository}/${distro} ${codename} main\n`;
const keyUrl = (repository: string, distro: string, codename: string) =>
  `${repository}/${distro}/${codename}.noarmor.gpg`;

/** The binary key file: fetched and read outside the text file system; tests replace it. */
export const keyFile = {
  async fetch(url: string): Promise<Buffer> {
    const part = '/run/firstboot-tailscale-key.part';
    await rm(part, { force: true });
    try {
      // a key file is a few KB: a server that sends more is not serving the key
      await download(url, part, { log: () => undefined, retryForMs: 120_000, maxBytes: 64 * 1024 });
      return await readFile(part);
    } finally {
      await rm(part, { force: true });
    }
  },
  read: (path: string): Promise<Buffer | undefined> => readFile(path).catch(() => undefined),
  async write(path: string, data: Buffer): Promise<void> {
    await writeFile(`${path}.new`, data, { mode: 0o644 });
    await rename(`${path}.new`, path);
  },
};

async function listSpec(ctx: Ctx<TailscalePlan>): Promise<FileSpec> {
  // Tailscale's repository is laid out as debian/bookworm, ubuntu/noble
  const { distro, codename } = await osRelease(ctx.fs);
  return {
    path: LIST,
    content:
      header("Tailscale's repository, signed by the key firstboot checked") +
      aptSource(ctx.params.repository, distro, codename),
    mode: 0o644,
  };
}

/** Whether the keyring holds exactly the pinned key */
async function keyringDrift(params: TailscalePlan): Promise<string[]> {
  const data = await keyFile.read(KEYRING);
  if (!data) return [`${KEYRING} is missing`];
  let found: string[] = [];
  try {
    found = primaryFingerprints(data);
  } catch {
    // not a key file: drift, and apply fetches the key again
  }
  return found.length === 1 && found[0] === params.key
    ? []
    : [`${KEYRING} holds ${found.join(', ') || 'no key'}, not the key ${params.key}`];
}

interface Status {
  BackendState?: string;
  Self?: { DNSName?: string; TailscaleIPs?: string[] | null; Online?: boolean };
}

async function status($: Shell): Promise<Status> {
  const out = await $({ nothrow: true })`tailscale status --json`;
  try {
    return out.ok || out.stdout.trim().startsWith('{') ? (JSON.parse(out.stdout) as Status) : {};
  } catch {
    return {};
  }
}

const joined = (s: Status) => s.BackendState === 'Running' && !!s.Self?.TailscaleIPs?.length;
const tailnetName = (s: Status) => s.Self?.DNSName?.replace(/\.$/, '') ?? '';

// --- the firewall: each rule of the plan's on tailscale0, its public twin closed -------------------

const onTailnet = (added: UfwRule[], rule: FirewallRule) =>
  added.some(
    (r) =>
      r.iface === TAILNET_INTERFACE &&
      r.port === rule.port &&
      r.proto === rule.proto &&
      r.comment === tailnetComment(rule.comment),
  );
/** firstboot's rules on tailscale0 that the plan no longer has (tailnet-only turned off, SSH moved) */
const stale = (added: UfwRule[], rules: FirewallRule[]) =>
  tailnetRules(added).filter((r) => !rules.some((rule) => onTailnet([r], rule)));
/**
 * the public rules of the plan's that go once the tailnet rules are in and proven (the firewall step's
 * bridges too: same comment)
 */
const publicTwins = (added: UfwRule[], rules: FirewallRule[]) =>
  added.filter((r) => !r.iface && rules.some((t) => t.comment === r.comment && t.proto === r.proto));

/** between tries while the node joins and sshd answers; tests set 0 */
export const tailnetWait = { pauseMs: 2000 };
const pause = () => new Promise((resolve) => setTimeout(resolve, tailnetWait.pauseMs));

/** Waits for the node to be up in the tailnet (`tailscale up` may return before it is). */
async function waitJoined($: Shell): Promise<Status> {
  for (let i = 0; ; i++) {
    const s = await status($);
    if (joined(s) || i === 30) return s;
    await pause();
  }
}

/** Public SSH waits for the owner: the runner reports the step "waiting", with what to do. */
const waitForLogin = (ctx: Ctx<TailscalePlan>, name: string) =>
  ctx.waitFor(
    `${TAILNET_LOGIN_PENDING} ${name}: SSH and mosh stay public until it works (firstboot apply HOST, or ` +
      `create --wait, logs in that way)`,
  );

/**
 * Without the auth key the node cannot join: the runner reports the step as waiting for it (a first boot
 * from user-data), not failed. With it, not being in the tailnet is a problem.
 */
const notJoined = async (ctx: Ctx<TailscalePlan>, s: Status, problems: string[]) =>
  (await ctx.secret(ctx.params.authKey))
    ? [...problems, `the node is not in the tailnet (${s.BackendState ?? 'no status'})`]
    : problems;

async function drift(ctx: Ctx<TailscalePlan>): Promise<string[]> {
  const { params: p, $, fs } = ctx;
  const out = [...(await keyringDrift(p)), ...(await fileDrift(fs, await listSpec(ctx)))];
  if ((await missingPackages($, ['tailscale'])).length) return [...out, 'tailscale is not installed'];
  out.push(...(await unitsDown($, [DAEMON])));
  const s = await status($);
  if (!joined(s)) return notJoined(ctx, s, out);
  const added = await addedRules(fs);
  for (const rule of p.tailnetOnly) {
    if (!onTailnet(added, rule)) out.push(`${rule.port}/${rule.proto} is not open on ${TAILNET_INTERFACE}`);
  }
  if (p.tailnetOnly.length && (await fs.read(SERVER_PATHS.tailnet)) !== `${tailnetName(s)}\n`)
    out.push(`${SERVER_PATHS.tailnet} does not name ${tailnetName(s)}`);
  if (p.tailnetOnly.length && !out.length) {
    if (!(await tailnetLoginProven($, fs))) waitForLogin(ctx, tailnetName(s));
    else
      for (const r of publicTwins(added, p.tailnetOnly))
        out.push(
          `ufw still lets anyone reach ${r.port}/${r.proto} (${r.comment}), though the owner's login ` +
            `through the tailnet is proven`,
        );
  }
  for (const r of stale(added, p.tailnetOnly))
    out.push(
      `ufw still has ${r.port}/${r.proto} on ${TAILNET_INTERFACE} only (${r.comment}), which the plan no ` +
        `longer has there`,
    );
  return out;
}

export const tailscale: Step<'tailscale'> = {
  id: 'tailscale',
  after: ['packages', 'ssh', 'firewall'],
  // both change who reaches SSH: one at a time, GeoIP's table first
  notBefore: ['geoip'],
  check: drift,
  async apply(ctx) {
    const { params: p, $, fs, log } = ctx;
    const { distro, codename } = await osRelease(fs);
    if ((await keyringDrift(p)).length) {
      const url = keyUrl(p.repository, distro, codename);
      const key = await keyFile.fetch(url);
      const found = primaryFingerprints(key);
      if (found.length !== 1 || found[0] !== p.key)
        throw new Error(`the key at ${url} is ${found.join(', ') || 'no key'}, not ${p.key}; apt was left as it was`);
      await keyFile.write(KEYRING, key);
    }
    const list = await listSpec(ctx);
    if ((await fileDrift(fs, list)).length) {
      // the repository proves itself (its signature, by this key alone) before apt keeps it
      await writeSpec(fs, { ...list, path: CANDIDATE });
      try {
        await updateLists($, log, CANDIDATE);
      } finally {
        await fs.remove(CANDIDATE);
      }
      await writeSpec(fs, list);
    }
    if ((await missingPackages($, ['tailscale'])).length) await install($, log, ['tailscale'], undefined, LIST);
    await enableNow($, DAEMON);

    let s = await status($);
    if (!joined(s)) {
      if ((await ctx.secret(p.authKey)) === undefined)
        return log.info('tailscale: not joined, waiting for the auth key; SSH stays public');
      await $({ timeout: '120s' })`tailscale up ${`--auth-key=file:${SERVER_PATHS.secrets}/${p.authKey}`} ${p.flags}`;
      s = await waitJoined($);
      if (!joined(s)) throw new Error(`the node did not join the tailnet (${s.BackendState ?? 'no status'})`);
    }

    if (p.tailnetOnly.length) {
      const ssh = p.tailnetOnly.find((rule) => rule.proto === 'tcp')!;
      if ((await sshAnswersOnTailnet($, Number(ssh.port), 3, tailnetWait.pauseMs)) === undefined) {
        throw new Error(
          `sshd does not answer on the tailnet address ` +
            `(${(await tailnetAddress($)) ?? `${TAILNET_INTERFACE} has none`}) port ${ssh.port}; SSH stays public`,
        );
      }
      const before = await addedRules(fs);
      for (const rule of p.tailnetOnly.filter((r) => !onTailnet(before, r))) {
        // biome-ignore format: zx's tagged template cannot be split: the line breaks inside ${} to stay within 120
        await $`ufw allow in on ${TAILNET_INTERFACE} to any port ${rule.port} proto ${rule.proto} comment ${
          tailnetComment(rule.comment)
        }`;
      }
      const added = await addedRules(fs);
      if (!onTailnet(added, ssh))
        throw new Error(`ufw does not hold SSH on ${TAILNET_INTERFACE} after adding it; SSH stays public`);
      // the name apply logs in by, for the proof
      await writeSpec(fs, { path: SERVER_PATHS.tailnet, content: `${tailnetName(s)}\n`, mode: 0o644 });
      if (await tailnetLoginProven($, fs)) {
        for (const r of publicTwins(added, p.tailnetOnly))
          await $`ufw --force delete ${r.action} ${`${r.port}/${r.proto}`}`;
        log.info(`tailscale: SSH goes through the tailnet only: ${tailnetName(s)}`);
      } else
        log.info(
          `tailscale: SSH answers on the tailnet as ${tailnetName(s)}; it stays public until a login ` +
            `through that name works`,
        );
    } else {
      await fs.remove(SERVER_PATHS.tailnet);
      // turned on again later, public SSH waits for a new login through the tailnet
      await fs.remove(SERVER_PATHS.tailnetLogin);
    }
    // the plan's rules (public again, or on tailscale0 for a new port) are in by now
    for (const r of stale(await addedRules(fs), p.tailnetOnly))
      await $`ufw --force delete allow in on ${r.iface} to any port ${r.port} proto ${r.proto}`;
  },
  async verify(ctx) {
    const { params: p, $, fs } = ctx;
    const problems = await unitsDown($, [DAEMON]);
    const s = await status($);
    if (!joined(s)) return notJoined(ctx, s, problems);
    if (!s.Self?.Online) problems.push('the node is offline in the tailnet');
    const added = await addedRules(fs);
    for (const rule of p.tailnetOnly) {
      if (!onTailnet(added, rule))
        problems.push(`ufw does not allow ${rule.port}/${rule.proto} on ${TAILNET_INTERFACE}`);
    }
    if (await tailnetLoginProven($, fs))
      for (const r of publicTwins(added, p.tailnetOnly))
        problems.push(`ufw still lets anyone reach ${r.port}/${r.proto} (${r.comment}), not only the tailnet`);
    return problems;
  },
};
