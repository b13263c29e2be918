// Commands on a server over the system's OpenSSH client: one argument builder, one runner that streams
// the output line by line, and the readings of ssh's own failures that apply and create act on.
import { spawn } from 'node:child_process';
import { knownHostName } from './known-hosts';
import { type Pace, pacer } from './pace';
import type { Target } from './target';

export interface SshResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Who logs in, on which port; `host`: another name for the same server (its tailnet name). */
export interface Login {
  user: string;
  port: number;
  /** ssh goes there and checks the host key under that name */
  host?: string;
}

/** The logins in order, each user and port once. */
export const distinctLogins = (logins: Login[]) =>
  logins.filter((l, i, all) => all.findIndex((m) => m.user === l.user && m.port === l.port) === i);

/** Runs a remote command; its stdout also goes to `onLine` line by line, as it comes. */
export type RunRemote = (
  login: Login,
  command: string,
  opts?: { input?: Buffer; onLine?: (line: string) => void },
) => Promise<SshResult>;

/**
 * ssh's arguments for `login` on the target's host. The host key is checked under the target's own
 * known_hosts name, so a login on the port sshd moved to trusts the key the user already trusts; a
 * pinned target trusts only its known_hosts file. BatchMode: ssh never stops to ask (stdin carries
 * data); a key that needs a passphrase must be in the agent.
 */
export function sshArgs(target: Target, login: Login, command: string): string[] {
  const alias = login.host ? knownHostName(login.host, login.port) : target.hostKeyAlias;
  const option = (setting: string) => ['-o', setting];
  return [
    ...option('BatchMode=yes'),
    ...option(`HostKeyAlias=${alias}`),
    ...(target.pinned
      ? [
          ...option(`UserKnownHostsFile=${target.knownHosts}`),
          ...option(`StrictHostKeyChecking=${target.trustFirst ? 'accept-new' : 'yes'}`),
        ]
      : []),
    // the key type the run keeps: the first key trusted stays the server's key
    ...(target.trustFirst ? option('HostKeyAlgorithms=ssh-ed25519') : []),
    ...option('ConnectTimeout=15'),
    ...option('ServerAliveInterval=15'),
    ...['-p', String(login.port), '-l', login.user, '--', login.host ?? target.name, command],
  ];
}

// one per process: the server's firewall counts connections by the address they come from
const paced = pacer();

/**
 * The runner for a target: ssh with `sshArgs`, stdin from `input`, stdout streamed to `onLine`; each
 * connection when `pace` lets it start.
 */
export function sshRunner(target: Target, pace: Pace = paced): RunRemote {
  return async (login, command, opts = {}) => {
    await pace(login.host ?? target.name);
    return new Promise((resolve) => {
      const child = spawn('ssh', sshArgs(target, login, command), { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let partial = '';
      child.stdout.on('data', (d: Buffer) => {
        stdout += d;
        const lines = (partial + d).split('\n');
        partial = lines.pop()!;
        for (const line of lines) opts.onLine?.(line);
      });
      child.stderr.on('data', (d: Buffer) => (stderr += d));
      child.stdin.on('error', () => {});
      child.stdin.end(opts.input ?? '');
      child.on('error', (err) => resolve({ code: 255, stdout, stderr: String(err) }));
      child.on('close', (code) => {
        if (partial) opts.onLine?.(partial);
        resolve({ code: code ?? 255, stdout, stderr });
      });
    });
  };
}

/** ssh's own failure (exit 255): nothing answers on that port (yet) */
export const unreachable = (r: SshResult) =>
  r.code === 255 &&
  /connect to host|Connection (closed|reset|timed out|refused)|timed out|Could not resolve|No route/i.test(r.stderr);
/** sshd answers and will not let this login in */
export const refused = (r: SshResult) => r.code === 255 && /Permission denied/.test(r.stderr);
/** the host's key is not the one known_hosts has: never log in */
export const hostKeyProblem = (r: SshResult) =>
  r.code === 255 && /host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/i.test(r.stderr);
