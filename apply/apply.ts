// firstboot apply: the plan and payload the user-data would carry, sent over SSH to a server that
// already runs and run there as firstboot.service, detached from the connection. apply follows the
// run's log to the end, logging in again (on the plan's port, as the admin) when the run moved sshd
// or shut root out on the way. With tailnet-only SSH it then logs in through the tailnet name the run
// reported: only that login, which proves the tailnet, its ACLs and this machine's place in it, lets the
// server close public SSH (a second run, started over that login).
import type { Plan } from '../contract/plan';
import { TAILNET_LOGIN_PENDING, type Status } from '../contract/status';
import { readPayload, serverFiles, unpacker, type Payload } from '../generator/render';
import { addKnownKey, knownHostName, knownKeys } from '../ssh/known-hosts';
import { hostKey as reportedHostKey, tailnetName } from '../ssh/reported';
import { asRoot, checkScript, CUT, followScript, MARK, NO_UNIT, startScript, tailnetLoginScript } from './remote';
import { loginOf } from '../contract/plan';
import {
  distinctLogins,
  hostKeyProblem,
  refused,
  unreachable,
  type Login,
  type RunRemote,
  type SshResult,
} from '../ssh/run';
import type { Target } from '../ssh/target';
import { Fail } from '../contract/fail';

export interface ApplyOptions {
  target: Target;
  plan: Plan;
  payload?: Payload;
  /** name -> value, written root-only on the server before the run */
  secrets: Map<string, string>;
  run: RunRemote;
  /** what apply itself does, for stderr */
  report: (message: string) => void;
  /** each line of the run's log, as it comes */
  print: (line: string) => void;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  timeoutMs?: number;
}

export interface ApplyResult {
  status: Status;
  /** the login that saw the end: the plan's admin and port when the run moved them */
  login: Login;
  /** the server's name in the tailnet, once SSH goes through the tailnet only */
  tailnet?: string;
}

/** whether the run left public SSH open, waiting for a login through the tailnet name */
const waitsForTailnetLogin = (status: Status) =>
  status.steps.some(
    (s) => s.id === 'tailscale' && s.result === 'waiting' && !!s.error?.includes(TAILNET_LOGIN_PENDING),
  );

/** Reads what the start and follow scripts print: markers, the log (each line once), the result. */
export function reader(print: (line: string) => void) {
  let printed = 0;
  let seen = 0;
  const r = { cursor: '', boot: '', hostKey: '', tailnet: '', result: undefined as string | undefined, statusText: '' };
  return {
    state: r,
    /** a new session: its log starts at the cursor again */
    again: () => (seen = 0),
    line(line: string) {
      if (r.result !== undefined) return void (r.statusText += `${line}\n`);
      if (line.startsWith(MARK.cursor)) r.cursor = line.slice(MARK.cursor.length);
      else if (line.startsWith(MARK.boot)) {
        // a power cut or reboot since the last session: its log is another one
        if (r.boot && r.boot !== line.slice(MARK.boot.length)) printed = 0;
        r.boot = line.slice(MARK.boot.length);
      } else if (line.startsWith(MARK.hostKey)) r.hostKey = line.slice(MARK.hostKey.length).trim();
      else if (line.startsWith(MARK.tailnet)) r.tailnet = line.slice(MARK.tailnet.length).trim();
      else if (line.startsWith(MARK.result)) r.result = line.slice(MARK.result.length);
      else if (++seen > printed) print(line), (printed = seen);
    },
  };
}

/** Why the first login could not send anything, in the user's terms. */
function firstProblem(target: Target, login: Login, r: SshResult): string {
  const where = `${login.user}@${target.name} (port ${login.port})`;
  if (hostKeyProblem(r))
    return `ssh does not trust the host key of ${target.name}; nothing was sent:\n${r.stderr.trim()}`;
  if (r.code === CUT) return `the upload to ${where} did not arrive whole: ${r.stderr.trim()}`;
  if (r.code === 255) return `cannot log in as ${where}; nothing was sent:\n${r.stderr.trim()}`;
  if (/sudo: .*(password is required|terminal is required)|not in the sudoers|may not run sudo/.test(r.stderr)) {
    return (
      `${login.user} cannot use sudo without a password on ${target.name}; log in as root ` +
      `(root@${target.name}) or give ${login.user} passwordless sudo`
    );
  }
  if (/sudo: (command )?not found/.test(r.stderr))
    return `sudo is not installed on ${target.name}; log in as root (root@${target.name})`;
  return `sending the payload to ${where} failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`;
}

export async function applyPlan(o: ApplyOptions): Promise<ApplyResult> {
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((res) => setTimeout(res, ms)));
  const now = o.now ?? Date.now;
  const deadline = now() + (o.timeoutMs ?? 60 * 60_000);
  const first = { user: o.target.user, port: o.target.port };
  const { admin, sshPort } = loginOf(o.plan);
  const planned = { user: admin, port: sshPort };
  const logins = distinctLogins([
    first,
    planned,
    { user: admin, port: first.port },
    { user: first.user, port: sshPort },
  ]);

  const read = reader(o.print);
  // over SSH the whole payload travels, whatever source the plan names: nothing is left to fetch
  const { script, input } = startScript({ files: serverFiles(carryingAll(o.plan), o.payload), secrets: o.secrets });
  o.report(
    `sending the plan and ` +
      `payload${o.secrets.size ? ` and ${o.secrets.size} secret${o.secrets.size > 1 ? 's' : ''}` : ''} ` +
      `to ${first.user}@${o.target.name} (port ${first.port}); the run goes on if the connection drops`,
  );
  let last = await o.run(first, asRoot(first.user, script, [], true), { input, onLine: read.line });
  if (!read.state.cursor) throw new Fail(firstProblem(o.target, first, last));
  // learnt over the login the user's known_hosts authenticated, before the run may drop other key types
  await trustHostKey(o.target, o.target.hostKeyAlias, read.state.hostKey);

  let login = await followRun(o, read, logins, deadline, last);
  let status = statusOf(read.state);
  // the login the plan leaves (the admin, on its port), proven, unless the run already came back over it
  if (status.ok && (login.user !== planned.user || login.port !== planned.port)) {
    const proof = await o.run(planned, asRoot(planned.user, 'true'));
    if (proof.code !== 0)
      throw new Fail(
        `the run finished, but ${planned.user} cannot log in on port ${planned.port} and use ` +
          `sudo: ${proof.stderr.trim()}`,
      );
    login = planned;
  }
  // checked before anything of this run's end lands in the owner's files
  const tailnet = read.state.tailnet ? tailnetName(read.state.tailnet) : undefined;
  if (login.port !== first.port)
    await trustHostKey(o.target, knownHostName(o.target.hostname, login.port), read.state.hostKey);
  // the Host block will send `ssh NAME` there: the same host key, under that name
  if (tailnet) await trustHostKey(o.target, knownHostName(tailnet, login.port), read.state.hostKey);
  if (tailnet && status.ok && waitsForTailnetLogin(status))
    status = await throughTailnet(o, { ...login, host: tailnet }, status, deadline, now, sleep);
  // SSH goes through the tailnet only once the tailscale step converged: no longer waiting for that login, nor failed
  const closed =
    tailnet && status.steps.some((s) => s.id === 'tailscale' && (s.result === 'ok' || s.result === 'changed'));
  return { status, login, ...(closed && { tailnet }) };
}

export type Reader = ReturnType<typeof reader>;

/**
 * Follows firstboot.service to its end, logging in again after each lost connection (or, without
 * `last`, until SSH first answers) over the first of `logins` that answers. Returns the login that saw
 * the end.
 */
export async function followRun(
  o: Pick<ApplyOptions, 'target' | 'run' | 'report' | 'sleep' | 'now'>,
  read: Reader,
  logins: Login[],
  deadline: number,
  last?: SshResult,
): Promise<Login> {
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((res) => setTimeout(res, ms)));
  const now = o.now ?? Date.now;
  let login = logins[0];
  let said = '';
  // a login sshd refused waits longer: every refusal is a failed login that fail2ban counts
  let wasRefused = false;
  let answered = !!last;
  while (read.state.result === undefined) {
    if (last) {
      if (hostKeyProblem(last))
        throw new Fail(
          answered
            ? `ssh does not trust the host key of ${o.target.name} any more:\n${last.stderr.trim()}`
            : `${o.target.name} does not answer with the host key ${o.target.knownHosts} has for it; not ` +
                `logging in:\n${last.stderr.trim()}`,
        );
      if (now() > deadline)
        throw new Fail(
          `gave up following the run on ${o.target.name}; it goes on there: sudo journalctl -fu firstboot.service`,
        );
      const why = answered
        ? `lost the connection (${(last.stderr.trim().split('\n').pop() || `exit ${last.code}`).trim()}); ` +
          `logging in again`
        : `waiting for SSH on ${o.target.name}`;
      if (why !== said) o.report(why);
      said = why;
      await sleep(wasRefused ? 30_000 : 10_000);
    }
    wasRefused = false;
    for (login of logins) {
      read.again();
      last = await o.run(login, asRoot(login.user, followScript, [read.state.cursor]), { onLine: read.line });
      wasRefused ||= refused(last);
      if (read.state.result !== undefined || !(unreachable(last) || refused(last))) break;
    }
    answered ||= !(unreachable(last!) || refused(last!) || hostKeyProblem(last!));
  }
  return login;
}

export function statusOf(state: { result?: string; statusText: string }): Status {
  try {
    return JSON.parse(state.statusText) as Status;
  } catch {
    if (state.result === NO_UNIT)
      throw new Fail(
        `the server has no firstboot.service, and cloud-init has finished: its user-data was not firstboot's`,
      );
    throw new Fail(
      `firstboot.service ended (${state.result}) before the payload wrote its status; ` +
        `on the server: sudo journalctl -u firstboot.service`,
    );
  }
}

/**
 * The login through the tailnet name, with the host key pinned under that name: it notes itself on the
 * server and runs the payload again, which closes public SSH; followed over the tailnet to the end. Without
 * that login, public SSH stays open and apply says why.
 */
async function throughTailnet(
  o: ApplyOptions,
  via: Login & { host: string },
  before: Status,
  deadline: number,
  now: () => number,
  sleep: (ms: number) => Promise<void>,
): Promise<Status> {
  o.report(
    `logging in through the tailnet as ${via.user}@${via.host} (port ${via.port}): public SSH and mosh ` +
      `close once that works`,
  );
  const read = reader(o.print);
  let last = await o.run(via, asRoot(via.user, tailnetLoginScript, [], 'connection'), { onLine: read.line });
  if (!read.state.cursor) {
    o.report(
      `could not log in through the tailnet name ${via.host}, so SSH and mosh stay ` +
        `public: ${last.stderr.trim().split('\n').pop() || `exit ${last.code}`}; is this machine in the ` +
        `tailnet, and do its ACLs let it reach port ${via.port}? Then run apply again`,
    );
    return before;
  }
  while (read.state.result === undefined) {
    if (hostKeyProblem(last)) throw new Fail(`ssh does not trust the host key of ${via.host}:\n${last.stderr.trim()}`);
    if (now() > deadline)
      throw new Fail(
        `gave up following the run on ${via.host}; it goes on there: sudo journalctl -fu firstboot.service`,
      );
    await sleep(10_000);
    read.again();
    last = await o.run(via, asRoot(via.user, followScript, [read.state.cursor]), { onLine: read.line });
  }
  return statusOf(read.state);
}

/**
 * The host's ed25519 key in known_hosts under `name`, beside what is there, unless it is there (or the
 * server has none).
 */
async function trustHostKey(target: Target, name: string, reported: string): Promise<void> {
  if (!reported) return;
  const key = reportedHostKey(reported, ['ssh-ed25519']);
  if ((await knownKeys(target.knownHosts, name)).includes(key)) return;
  await addKnownKey(target.knownHosts, name, key, { alongside: true });
}

export interface Drift {
  /** undefined when firstboot never ran there */
  steps?: { id: string; problems: string[] }[];
  /** file systems over 90% full */
  warnings?: string[];
  ok: boolean;
  reason?: string;
}

/** The plan without a source for firstboot's pieces: the user-data that apply sends carries them all. */
function carryingAll({ pieces: _, ...plan }: Plan): Plan {
  return plan;
}

/** `apply --check`: the payload's checks against this plan, changing nothing. */
export async function checkPlan(o: Pick<ApplyOptions, 'target' | 'plan' | 'payload' | 'run'>): Promise<Drift> {
  const login = { user: o.target.user, port: o.target.port };
  const payload = o.payload ?? readPayload();
  const { script, input } = checkScript(serverFiles(carryingAll(o.plan), payload)[0].content);
  const r = await o.run(login, asRoot(login.user, script, [unpacker(payload)]), { input });
  if (r.code === 3) return { ok: false, reason: r.stdout.trim() };
  try {
    // the payload's own log lines (a pinned package fetched) may come first
    return JSON.parse(r.stdout.slice(Math.max(0, r.stdout.search(/^\{/m)))) as Drift;
  } catch {
    throw new Fail(firstProblem(o.target, login, r));
  }
}
