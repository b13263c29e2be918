// The system's OpenSSH client, as the user has it set up (config, agent, known_hosts): where a target
// name leads, and commands run over it with data on stdin and output read line by line.
import { spawn } from 'node:child_process';
import type { Plan } from '../contract/plan';
import { knownHostName } from '../hcloud/known-hosts';
import { sshSettings } from '../hcloud/ssh-config';
import type { SshResult } from '../hcloud/ssh-wait';

export interface Target {
  /** what the user typed, minus user and port: a host name, an address or a Host alias */
  name: string;
  user: string;
  hostname: string;
  port: number;
  /** the known_hosts name the host key is checked under, whatever port and user later logins use */
  hostKeyAlias: string;
  /** the user's known_hosts file, where apply adds the host under a new port */
  knownHosts: string;
}

export class TargetError extends Error {}

/** `[USER@]HOST[:PORT]`, HOST an address (IPv6 in brackets when a port follows), a name or a Host alias. */
export function parseTarget(text: string): { name: string; user?: string; port?: number } {
  const at = text.lastIndexOf('@');
  const user = at >= 0 ? text.slice(0, at) : undefined;
  const rest = text.slice(at + 1);
  let [name, port]: (string | undefined)[] = [rest, undefined];
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(rest);
  if (bracketed) [name, port] = [bracketed[1], bracketed[2]];
  // one colon: HOST:PORT; more: a bare IPv6 address
  else if (rest.split(':').length === 2) [name, port] = rest.split(':');
  if (!name || user === '' || (port !== undefined && !/^\d+$/.test(port)))
    throw new TargetError(`"${text}" is not [USER@]HOST[:PORT]`);
  if (port !== undefined && !(+port >= 1 && +port <= 65535))
    throw new TargetError(`"${text}": the port must be from 1 to 65535`);
  return { name, user, port: port === undefined ? undefined : +port };
}

/** Where ssh would go for this target, by the user's own config (`ssh -G`). */
export async function resolveTarget(text: string): Promise<Target> {
  const { name, user, port } = parseTarget(text);
  const args = [...(user ? ['-l', user] : []), ...(port ? ['-p', String(port)] : []), '--', name];
  const value = await sshSettings(args).catch((err: { stderr?: string }) => {
    throw new TargetError(`ssh cannot read its config for ${name}: ${err.stderr?.trim() || err}`);
  });
  const resolved = { name, user: value('user')!, hostname: value('hostname')!, port: Number(value('port')) };
  return {
    ...resolved,
    hostKeyAlias: value('hostkeyalias') ?? knownHostName(resolved.hostname, resolved.port),
    knownHosts: value('userknownhostsfile')!.split(' ')[0],
  };
}

/** Whom and where sshd lets in once the plan has run. */
export function loginOf(plan: Plan): { admin: string; sshPort: number } {
  const admin = plan.steps.find((s) => s.id === 'admin');
  const ssh = plan.steps.find((s) => s.id === 'ssh');
  return { admin: admin?.id === 'admin' ? admin.name : 'root', sshPort: ssh?.id === 'ssh' ? ssh.port : 22 };
}

export interface Login {
  user: string;
  port: number;
  /** another name for the same server (its tailnet name): ssh goes there and checks the host key under that name */
  host?: string;
}

/** Runs a remote command; its stdout also goes to `onLine` line by line, as it comes. */
export type RunRemote = (
  login: Login,
  command: string,
  opts?: { input?: Buffer; onLine?: (line: string) => void },
) => Promise<SshResult>;

/**
 * ssh to the target's host as `login`. The host key is checked under the target's own known_hosts
 * name, so a login on the port sshd moved to trusts the key the user already trusts. BatchMode: ssh
 * never stops to ask (stdin carries data); a key that needs a passphrase must be in the agent.
 */
export function sshRunner(target: Target, extra: string[] = []): RunRemote {
  return (login, command, opts = {}) =>
    new Promise((resolve) => {
      const alias = login.host ? knownHostName(login.host, login.port) : target.hostKeyAlias;
      const args = [
        '-o',
        'BatchMode=yes',
        '-o',
        `HostKeyAlias=${alias}`,
        '-o',
        'ConnectTimeout=15',
        '-o',
        'ServerAliveInterval=15',
        ...extra,
        '-p',
        String(login.port),
        '-l',
        login.user,
        '--',
        login.host ?? target.name,
        command,
      ];
      const child = spawn('ssh', args, { stdio: ['pipe', 'pipe', 'pipe'] });
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
}

/** ssh's own failures (exit 255), for apply and create --wait alike: nothing answers on that port (yet) */
export const unreachable = (r: SshResult) =>
  r.code === 255 &&
  /connect to host|Connection (closed|reset|timed out|refused)|timed out|Could not resolve|No route/i.test(r.stderr);
/** sshd answers and will not let this login in */
export const refused = (r: SshResult) => r.code === 255 && /Permission denied/.test(r.stderr);
/** the host's key is not the one known_hosts has: never log in */
export const hostKeyProblem = (r: SshResult) =>
  r.code === 255 && /host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/i.test(r.stderr);
