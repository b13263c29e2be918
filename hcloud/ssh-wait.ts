// `create --wait`: wait for the server's SSH to answer with the host key firstboot gave it, then log
// in as the admin and wait for the payload's result. ssh checks the key against the known_hosts
// entry written before the server booted; a different key stops everything at once.
import { execFile } from 'node:child_process';
import type { Status } from '../contract/status';
import { knownHostName } from './known-hosts';
import { hostKeyProblem, refused, unreachable } from '../apply/ssh';

export interface SshResult {
  code: number;
  stdout: string;
  stderr: string;
}

export type RunSsh = (args: string[]) => Promise<SshResult>;

/** The payload's status.json, read over ssh. */
export type PayloadStatus = Status;

export interface Login {
  host: string;
  /** the port the known_hosts entry is for: firstboot create's plan port */
  port: number;
  user: string;
  knownHostsPath: string;
}

/**
 * ssh arguments that run `sudo -n firstboot ARGS` on the server, trusting only known_hosts. `login.port`
 * names the known_hosts entry, so the key firstboot pinned is also checked on 22 when sshd never moved.
 */
export function rootCommand(login: Login, firstbootArgs: string[], port = login.port): string[] {
  return [
    '-o',
    'BatchMode=yes',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    `UserKnownHostsFile=${login.knownHostsPath}`,
    '-o',
    `HostKeyAlias=${knownHostName(login.host, login.port)}`,
    '-o',
    'ConnectTimeout=10',
    '-p',
    String(port),
    `${login.user}@${login.host}`,
    'sudo',
    '-n',
    'firstboot',
    ...firstbootArgs,
  ];
}

export interface WaitForPayloadOptions extends Login {
  report: (message: string) => void;
  runSsh?: RunSsh;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  intervalMs?: number;
  /** First boot installs packages: allow a good while. */
  timeoutMs?: number;
}

export class HostKeyMismatchError extends Error {
  constructor(host: string, detail: string) {
    super(
      `the server at ${host} did not answer with the host key firstboot gave it; not logging in.\n${detail.trim()}`,
    );
    this.name = 'HostKeyMismatchError';
  }
}

export const runSshBinary: RunSsh = (args) =>
  new Promise((resolve) => {
    execFile('ssh', args, { encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 255) : 0;
      resolve({ code, stdout, stderr });
    });
  });

/** The payload's result, and the login that gave it (port 22 when sshd did not move to the plan's port). */
export interface PayloadResult {
  status: PayloadStatus;
  port: number;
  user: string;
}

export async function waitForPayload(options: WaitForPayloadOptions): Promise<PayloadResult> {
  const runSsh = options.runSsh ?? runSshBinary;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = options.now ?? Date.now;
  const deadline = now() + (options.timeoutMs ?? 20 * 60_000);
  const args = (user: string, port: number) => rootCommand({ ...options, user }, ['status', '-o', 'json'], port);
  // sshd starts on 22 and moves to the plan's port only if the ssh step succeeds: ask there first,
  // then on 22, so a failed move shows as the payload's result rather than as a timeout.
  const ports = [...new Set([options.port, 22])];
  // On port 22 sshd answers long before the payload has made the admin, and every try as a user that
  // does not exist yet is a failed login, which fail2ban reads back from the journal when it starts
  // and bans for. Until then root has the project's SSH keys (Hetzner puts them there), so ask as
  // root until the admin exists. On another port nothing answers before that.
  let rootOn22 = true;
  let last = '';
  for (;;) {
    let result: SshResult | undefined;
    let port = options.port;
    let user = options.user;
    for (port of ports) {
      user = port === 22 && rootOn22 ? 'root' : options.user;
      result = await runSsh(args(user, port));
      if (!unreachable(result)) break;
    }
    if (hostKeyProblem(result!)) {
      throw new HostKeyMismatchError(options.host, result!.stderr);
    }
    const status = parseStatus(result!.stdout);
    if (status?.ok !== undefined) return { status, port, user };
    if (status?.steps.some((s) => s.id === 'admin' && s.result !== 'failed') || refused(result!)) rootOn22 = false;
    const state = stateOf(result!, status);
    if (state.text !== last) options.report(state.text);
    last = state.text;
    if (now() > deadline) throw new Error(`gave up waiting for firstboot on ${options.host}: ${state.text}`);
    await sleep(options.intervalMs ?? state.seconds * 1000);
  }
}

/**
 * What the last try saw, and how long to wait before the next. Every try is a new connection, and
 * ufw's `limit` rule drops an address that opens 6 within 30 s. Until the payload has made the admin,
 * every try is also a failed login, which a package's default fail2ban jail counts (Ubuntu's bans
 * after 5 in 10 minutes), so those tries are spaced out further.
 */
function stateOf(result: SshResult, status: PayloadStatus | undefined): { text: string; seconds: number } {
  if (refused(result)) return { text: 'SSH answers; waiting for the payload to make the admin', seconds: 30 };
  if (result.code === 255) return { text: 'waiting for SSH', seconds: 10 };
  if (status) return { text: `payload running (${status.steps.length} steps done)`, seconds: 10 };
  return { text: 'waiting for the payload to start', seconds: 10 };
}

function parseStatus(stdout: string): PayloadStatus | undefined {
  try {
    const parsed = JSON.parse(stdout) as PayloadStatus;
    return Array.isArray(parsed.steps) ? parsed : undefined;
  } catch {
    return undefined;
  }
}
