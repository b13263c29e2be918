// What the apply tests share: a plan, a target with its own known_hosts, and a server played by the test
// that answers each ssh call as told and records it.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MARK } from '../../apply/remote';
import { type Login, type RunRemote, type SshResult } from '../../ssh/run';
import { type Target } from '../../ssh/target';
import { plan as makePlan } from '../../generator/plan';
import { loadConfig } from '../../generator/config/load';
import { readPayload } from '../../generator/render';

export const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINQur/rZ9TBsuK9LDYPMLWxYD15U4YeWKAC2I/kuCgSc';

export const HOST_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHBtc2xlZXAgcGxlYXNlIGtlZXAgdGhpcyBmaXhlZA';

export const payload = readPayload();

export async function planFor(yaml: string) {
  const { config } = await loadConfig({ text: `admin:\n  ssh_keys: ["${KEY} me"]\n${yaml}` });
  return makePlan(config!);
}

export function target(): Target {
  const dir = mkdtempSync(join(tmpdir(), 'firstboot-apply-'));
  writeFileSync(join(dir, 'known_hosts'), `203.0.113.5 ecdsa-sha2-nistp256 AAAAE2VjZHNh\n`);
  return {
    name: '203.0.113.5',
    user: 'root',
    hostname: '203.0.113.5',
    port: 22,
    hostKeyAlias: '203.0.113.5',
    knownHosts: join(dir, 'known_hosts'),
  };
}

export const status = {
  firstboot: 't',
  configHash: 'h',
  started: 'now',
  finished: 'later',
  ok: true,
  steps: [{ id: 'ssh', result: 'changed', seconds: 1 }],
};

export const LOG = ['[INFO] packages ok', '[INFO] ssh changed', '[INFO] firstboot finished: ok'];

export const ended = [`${MARK.hostKey}${HOST_KEY} root@host`, `${MARK.result}success`, JSON.stringify(status)];

export interface Call {
  login: Login;
  command: string;
  input?: Buffer;
}

/** A server: `answer` gives each call's output lines and exit (ssh's own failures are exit 255). */
export function server(
  answer: (call: Call, n: number) => { lines?: string[]; code?: number; stderr?: string },
): RunRemote & { calls: Call[] } {
  const calls: Call[] = [];
  const run = (async (login, command, opts = {}) => {
    const call = { login, command, input: opts.input };
    calls.push(call);
    const { lines = [], code = 0, stderr = '' } = answer(call, calls.length - 1);
    for (const line of lines) opts.onLine?.(line);
    return { code, stdout: lines.join('\n'), stderr } satisfies SshResult;
  }) as RunRemote & { calls: Call[] };
  run.calls = calls;
  return run;
}

/** A clock that moves 10 s a look, so a run apply cannot find again ends in its time-out, not a hang. */
export const clock = () => {
  let t = 0;
  return () => (t += 10_000);
};

export const options = (t: Target, run: RunRemote, printed: string[] = [], reported: string[] = []) => ({
  target: t,
  payload,
  secrets: new Map([['console', 'correct horse battery']]),
  run,
  report: (m: string) => reported.push(m),
  print: (l: string) => printed.push(l),
  sleep: async () => {},
  now: clock(),
});
