// sshd hardening under the lockout rules (docs/ARCHITECTURE.md): the new configuration must pass `sshd -t` and show
// the intended effective values in `sshd -T` before sshd is reloaded, a new port is open in the
// firewall and proven to answer before anything else moves, and a failure puts the old file back.
import { createHash } from 'node:crypto';
import type { SshPlan } from '../../contract/plan';
import type { Ctx, Step } from '../step';
import type { Fs } from '../lib/fs';
import type { Shell } from '../lib/shell';
import { fileDrift, header, openToOthers, writeFile, type FileSpec } from '../lib/files';
import { isActive, isEnabled } from '../lib/systemd';
import { once } from '../lib/once';
import { addedRules, allowsTcp, covers, tailnetRules, ufwActive } from '../lib/ufw';
import { sshAnswersFromOutside, sshAnswersOnTailnet } from '../lib/probe';
import { badHostKeys, fixHostKeys, fixModuli, KEY_DIR, moduliDrift } from '../lib/sshd-keys';
import { SSH_RULE } from '../../contract/firewall-names';

// 00- because sshd keeps the first value it reads and cloud-init writes 50-cloud-init.conf
const CONFIG = '/etc/ssh/sshd_config';
const DROP_IN = `${CONFIG}.d/00-firstboot.conf`;
// Ubuntu 24.04 starts sshd from ssh.socket, whose ListenStream, not sshd's Port, decides the port
const SOCKET_DROP_IN = '/etc/systemd/system/ssh.socket.d/00-firstboot.conf';
// what sshd last loaded: a file can be right while sshd still runs an older one (a reload was lost)
const LOADED = '/var/lib/firstboot/ssh-loaded';

type Ssh = Ctx<SshPlan>;

/** sshd's crypto keywords (the plan's lists, lowercased), each with its `ssh -Q` query */
const QUERIES = { KexAlgorithms: 'kex', Ciphers: 'cipher', MACs: 'mac', HostKeyAlgorithms: 'key-sig' } as const;

/** What this OpenSSH knows */
const knows = ($: Shell, query: string) =>
  once($, `ssh -Q ${query}`, () => $`ssh -Q ${query}`.then(({ stdout }) => new Set(stdout.split('\n'))));

/** The plan's settings as sshd lines: Port first, crypto narrowed to what this OpenSSH knows. */
async function directives({ params, $ }: Ssh): Promise<[string, string][]> {
  const lines: [string, string][] = [['Port', String(params.port)], ...params.settings];
  const lists = Object.entries(QUERIES);
  // asked at once: each answer is an ssh process, most of a second on a busy first boot
  const answers = await Promise.all(lists.map(([, query]) => knows($, query)));
  for (const [i, [keyword]] of lists.entries()) {
    const list = keyword.toLowerCase() as Lowercase<keyof typeof QUERIES>;
    const kept = params.crypto[list].filter((name) => answers[i].has(name));
    if (kept.length === 0) throw new Error(`this OpenSSH knows none of the planned ${keyword}`);
    lines.push([keyword, kept.join(',')]);
  }
  for (const type of params.hostKeys) lines.push(['HostKey', `${KEY_DIR}/ssh_host_${type}_key`]);
  return lines;
}

// sshd's configuration is for root's eyes only (CIS 5.1.1)
const dropIn = (lines: [string, string][]): FileSpec => ({
  path: DROP_IN,
  content: header('sshd hardening') + lines.map(([k, v]) => `${k} ${v}`).join('\n') + '\n',
  mode: 0o600,
});

/** sshd_config and its drop-ins (cloud-init's among them) that others may read */
async function readableConfigs(fs: Fs): Promise<string[]> {
  const dropIns = (await fs.list(`${CONFIG}.d`)).filter((n) => n.endsWith('.conf')).map((n) => `${CONFIG}.d/${n}`);
  return (await openToOthers(fs, [CONFIG, ...dropIns])).map(({ path }) => path);
}

const socketDropIn = (port: number): FileSpec => ({
  path: SOCKET_DROP_IN,
  // the empty ListenStream= clears the packaged ones first: without it the socket listens on 22 too
  content: `${header('the SSH port')}[Socket]
ListenStream=
ListenStream=${port}
`,
  mode: 0o644,
});

const socketMode = ($: Shell) => once($, 'ssh.socket', () => isEnabled($, 'ssh.socket'));

async function wantedFiles(ctx: Ssh): Promise<FileSpec[]> {
  const files = [dropIn(await directives(ctx))];
  if (await socketMode(ctx.$)) files.push(socketDropIn(ctx.params.port));
  return files;
}

const fingerprint = (files: FileSpec[]) =>
  createHash('sha256')
    .update(files.map((f) => f.content).join('\0'))
    .digest('hex') + '\n';

/** sshd's effective values (`sshd -T`, lowercase) as the admin would log in, or why there are none. */
async function effectiveValues({ params, $ }: Ssh): Promise<Map<string, string[]> | string> {
  const admin = params.settings.find(([k]) => k === 'AllowUsers')?.[1] ?? 'root';
  const out = await $({ nothrow: true })`sshd -T -C ${`user=${admin},host=localhost,addr=127.0.0.1`}`;
  if (!out.ok) return `sshd -T failed: ${out.stderr.trim()}`;
  const effective = new Map<string, string[]>();
  for (const line of out.stdout.split('\n')) {
    const [key, ...rest] = line.split(' ');
    if (key) effective.set(key, [...(effective.get(key) ?? []), rest.join(' ').toLowerCase()]);
  }
  return effective;
}

/** keywords `sshd -T` does not print; verify proves them from outside */
const UNREPORTED = new Set(['debianbanner']);

/** Effective values differing from the intended ones, and whether sshd would take an admin key at all. */
async function effectiveDrift(ctx: Ssh, lines: [string, string][]): Promise<string[]> {
  const effective = await effectiveValues(ctx);
  if (typeof effective === 'string') return [effective];
  const wanted = new Map<string, string[]>();
  for (const [k, v] of lines) wanted.set(k.toLowerCase(), [...(wanted.get(k.toLowerCase()) ?? []), v.toLowerCase()]);
  const drift: string[] = [];
  for (const [key, values] of wanted) {
    if (UNREPORTED.has(key)) continue;
    const got = (effective.get(key) ?? []).sort().join(' ');
    if (got !== [...values].sort().join(' '))
      drift.push(`sshd uses ${key} ${got || '(unset)'}, wants ${values.join(' ')}`);
  }
  if (!(await acceptsAnAdminKey(ctx, effective))) {
    drift.push(
      `sshd would accept none of the admin's keys (PubkeyAcceptedAlgorithms, ` +
        `RequiredRSASize ${effective.get('requiredrsasize')?.[0]}): root would be shut out with no way in`,
    );
  }
  return drift;
}

/**
 * Lockout rule 4, checked against what sshd will enforce rather than what the config promised: at
 * least one admin key of an accepted algorithm and, for RSA, of RequiredRSASize bits (ssh-keygen
 * measures it, as sshd would).
 */
async function acceptsAnAdminKey({ plan, $ }: Ssh, effective: Map<string, string[]>): Promise<boolean> {
  const keys = plan.steps.find((s) => s.id === 'admin')?.keys ?? [];
  const accepted = new Set((effective.get('pubkeyacceptedalgorithms')?.[0] ?? '').split(','));
  const minRsaBits = Number(effective.get('requiredrsasize')?.[0] ?? 0);
  for (const key of keys) {
    const type = key.split(/\s+/)[0];
    // an RSA key signs with rsa-sha2-*; the ssh-rsa (SHA-1) name alone is what OpenSSH disables
    const algorithms = type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256'] : [type];
    if (!algorithms.some((name) => accepted.has(name))) continue;
    if (type !== 'ssh-rsa') return true;
    const measured = await $({ nothrow: true, input: `${key}\n` })`ssh-keygen -l -f /dev/stdin`;
    if (Number(measured.stdout.split(' ')[0]) >= minRsaBits) return true;
  }
  return false;
}

/** How long a reloaded sshd gets to answer; tests shorten it. */
export const answerWait = { tries: 10, pauseMs: 1000 };

/**
 * Waits until sshd answers a key exchange on the port from outside loopback: proof a client can get in.
 * Where the port is open on the tailnet only (the tailscale step's rule), on the node's tailnet address.
 */
async function answers($: Shell, fs: Fs, port: number, tries = answerWait.tries): Promise<string | undefined> {
  const viaTailnet =
    (await ufwActive($)) && tailnetRules(await addedRules(fs)).some((r) => r.proto === 'tcp' && covers(r.port, port));
  return (viaTailnet ? sshAnswersOnTailnet : sshAnswersFromOutside)($, port, tries, answerWait.pauseMs);
}

/** The answer apply has just proven, for the verify after it (the runner's next call but a check). */
const proven = new WeakMap<Shell, { port: number; banner: string }>();

async function reload($: Shell, socket: boolean): Promise<void> {
  if (socket) {
    await $`systemctl daemon-reload`;
    await $`systemctl restart ssh.socket`;
  } else if (await isActive($, 'ssh')) await $`systemctl reload ssh`;
  else await $`systemctl restart ssh`;
}

/** Lockout rule 2: if ufw already filters, the new port is allowed before sshd moves to it. */
async function openPort($: Shell, fs: Fs, port: number): Promise<void> {
  if (!(await ufwActive($)) || allowsTcp(await addedRules(fs), port)) return;
  await $`ufw limit ${`${port}/tcp`} comment ${SSH_RULE}`;
  // ufw can answer 0 and skip a rule: only its files say it is in
  if (!allowsTcp(await addedRules(fs), port))
    throw new Error(`ufw does not list a rule for ${port}/tcp after adding one`);
}

export const ssh: Step<'ssh'> = {
  id: 'ssh',
  after: ['packages', 'admin'], // lockout rule 4: the admin's keys and sudo work before root is shut out
  async check(ctx) {
    const files = await wantedFiles(ctx);
    const drift = [...(await badHostKeys(ctx)).map((k) => `${k.path} ${k.why}`), ...(await moduliDrift(ctx))];
    drift.push(...(await readableConfigs(ctx.fs)).map((path) => `${path} is readable by others than root`));
    for (const file of files) drift.push(...(await fileDrift(ctx.fs, file)));
    if ((await ctx.fs.read(LOADED)) !== fingerprint(files)) drift.push('sshd has not loaded the current configuration');
    return drift;
  },
  async apply(ctx) {
    const { params, fs, $ } = ctx;
    await fs.mkdir('/run/sshd', { mode: 0o755 }); // sshd -t needs it; with ssh.socket nothing made it yet
    await fixHostKeys(ctx);
    for (const path of await readableConfigs(fs)) await fs.chmod(path, 0o600);
    await fixModuli(ctx);

    const lines = await directives(ctx);
    const previous = await fs.read(DROP_IN);
    await writeFile(fs, dropIn(lines));
    const test = await $({ nothrow: true })`sshd -t`;
    const wrong = test.ok ? await effectiveDrift(ctx, lines) : [`sshd -t: ${test.stderr.trim()}`];
    const socket = await socketMode($);
    const previousSocket = await fs.read(SOCKET_DROP_IN);
    const put = (path: string, text: string | undefined) =>
      text === undefined ? fs.remove(path) : fs.write(path, text, { mode: 0o644 });
    const restore = async () => {
      await put(DROP_IN, previous);
      if (socket) await put(SOCKET_DROP_IN, previousSocket);
    };
    if (wrong.length > 0) {
      await restore();
      throw new Error(`kept the old sshd configuration: ${wrong.join('; ')}`);
    }

    if (socket) await writeFile(fs, socketDropIn(params.port));
    // the files must not outlive a port the firewall refused: the next boot would move sshd anyway
    await openPort($, fs, params.port).catch(async (err: Error) => {
      await restore();
      throw new Error(`kept the old sshd configuration: the firewall did not open port ${params.port}: ${err.message}`);
    });
    await reload($, socket);
    const banner = await answers($, fs, params.port);
    if (banner === undefined) {
      await restore();
      await reload($, socket);
      throw new Error(`sshd did not answer on port ${params.port}; restored the old configuration`);
    }
    proven.set($, { port: params.port, banner });
    await fs.write(LOADED, fingerprint(await wantedFiles(ctx)), { mode: 0o600 });
  },
  async verify(ctx) {
    const problems = await effectiveDrift(ctx, await directives(ctx));
    const fresh = proven.get(ctx.$);
    proven.delete(ctx.$);
    const banner =
      fresh?.port === ctx.params.port
        ? fresh.banner
        : await answers(ctx.$, ctx.fs, ctx.params.port, Math.min(3, answerWait.tries));
    if (banner === undefined) problems.push(`sshd does not answer on port ${ctx.params.port}`);
    // "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3": anything after the version is the distribution's patch level
    else if (/^SSH-\S+ \S/.test(banner) && ctx.params.settings.some(([k, v]) => k === 'DebianBanner' && v === 'no')) {
      problems.push(`sshd announces its patch level to every client: ${banner}`);
    }
    return problems;
  },
};
