// A fake API and a client pointed at it, with waits shortened and recorded so retry tests are fast
// and can still assert how long the client meant to wait; for `create`, a suite with a workspace per
// test, and a fake server's ssh (a RunRemote) that answers the follow of the boot's run as a test says.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type ClientOptions } from '../../hcloud/api/client';
import { startFakeHcloud, type FakeHcloudOptions } from '../fakes/hcloud-api';
import { suite } from 'uvu';
import { asRoot, followScript, MARK, tailnetLoginScript } from '../../apply/remote';
import type { CreateOptions } from '../../hcloud/create';
import type { Login, RunRemote, SshResult } from '../../ssh/run';
import { specLedger } from '../fakes/openapi-check';

export async function fakeAndClient(fakeOptions: FakeHcloudOptions = {}, clientOptions: Partial<ClientOptions> = {}) {
  const fake = await startFakeHcloud(fakeOptions);
  const waits: number[] = [];
  const client = createClient({
    token: fake.token,
    endpoint: fake.url,
    pollIntervalMs: 5,
    sleep: (ms) => {
      waits.push(ms);
      return new Promise((resolve) => setTimeout(resolve, Math.min(ms, 5)));
    },
    ...clientOptions,
  });
  return { fake, client, waits };
}

export const create = { name: 'web-1', server_type: 'cx23', image: 'ubuntu-24.04', location: 'fsn1' } as const;

/** A project folder with a config, and a home with ~/.ssh, for the commands that write there. */
export async function workspace(yaml = defaultYaml) {
  const dir = await mkdtemp(join(tmpdir(), 'firstboot-hcloud-'));
  const config = join(dir, 'firstboot.yaml');
  await writeFile(config, yaml);
  return {
    dir,
    config,
    sshConfigPath: join(dir, 'home', '.ssh', 'config'),
    knownHostsPath: join(dir, 'home', '.ssh', 'known_hosts'),
  };
}

export const adminKey =
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINQur/rZ9TBsuK9LDYPMLWxYD15U4YeWKAC2I/kuCgSc firstboot-demo';
export const defaultYaml =
  `admin:\n  name: ops\n  ssh_keys: ["${adminKey}"]\nssh:\n  port: 2222\nfirewall:\n  allow: [443/tcp]\nmosh:\n` +
  `  enabled: true\n  ports: "60000:60010"\n`;

import { standInPayload } from '../payload-stand-in';

export const payload = standInPayload;

export const hostKey = {
  private: '-----BEGIN OPENSSH PRIVATE KEY-----\nstand-in\n-----END OPENSSH PRIVATE KEY-----\n',
  public: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKsZUASajQx5zSFSpZCqIEX8bxGiEpO+n9v8COQKQH/g firstboot host key',
};

/** The key a server makes when create replaces the pinned one. */
export const nextHostKey = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFhmIwt8DBQ9bVBBJpqcC+5WUZa7Qyf0wPaSbmSqgDL0';

/**
 * A create suite: a fresh fake API and workspace per test; its requests checked against the API description by `spec`.
 */
export function createSuite(name: string) {
  const spec = specLedger();
  const test = suite<CreateContext>(name);
  test.before.each(async (context) => {
    Object.assign(context, await fakeAndClient(), await workspace(), { reports: [] });
  });
  test.after.each(async ({ fake }) => {
    await fake.close();
    spec.record(fake.requests);
  });
  return { test, spec };
}

export type CreateContext = Awaited<ReturnType<typeof fakeAndClient>> &
  Awaited<ReturnType<typeof workspace>> & { reports: string[] };

/** create's options for the workspace: the fixed host key, reports collected, waits cut short. */
export const createOptions = (c: CreateContext, extra: Partial<CreateOptions> = {}): CreateOptions => ({
  client: c.client,
  name: 'web-1',
  config: c.config,
  payload,
  sshConfigPath: c.sshConfigPath,
  knownHostsPath: c.knownHostsPath,
  makeHostKey: async () => hostKey,
  report: (m) => c.reports.push(m),
  sleep: async () => {},
  ...extra,
});

/** the TCP ports a firewall of the fake API lets in */
export const edgeTcpPorts = (c: CreateContext, id: number) =>
  c.fake.firewalls
    .get(id)!
    .rules.filter((r) => r.protocol === 'tcp')
    .map((r) => r.port);

/** tailnet-only SSH, with the console password it needs as a way back */
export const tailnetOnlyYaml =
  `${defaultYaml.replace('admin:\n', 'admin:\n  password: secret:console\n')}tailscale:\n  enabled: true\n` +
  `  auth_key: secret:tailscale\n  ssh_via_tailnet_only: true\n`;

/** A payload's status after its run. */
export const statusOf = (ok: boolean | undefined, steps: Record<string, unknown>[]) => ({
  firstboot: '0.1.0',
  configHash: 'x',
  started: 's',
  ...(ok !== undefined && { finished: 'f' }),
  ok,
  steps: steps.map((s) => ({ seconds: 1, ...s })),
});

/** ssh's own failures (exit 255), as the runner gets them */
export const sshFails = {
  unreachable: (login: Login): SshResult => ({
    code: 255,
    stdout: '',
    stderr: `ssh: connect to host 192.0.2.10 port ${login.port}: Connection refused\n`,
  }),
  refused: (login: Login): SshResult => ({
    code: 255,
    stdout: '',
    stderr: `${login.user}@192.0.2.10: Permission denied (publickey).\n`,
  }),
  hostKey: {
    code: 255,
    stdout: '',
    stderr: '@@@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @@@\nHost key verification failed.\n',
  } as SshResult,
  /** a session that was in, dropped (sshd restarted, the network gone) */
  dropped: { code: 255, stdout: '', stderr: 'Connection to 192.0.2.10 closed by remote host.\n' } as SshResult,
};

/**
 * What a follow answers: the run's log from its first line, then its end as FOLLOW prints it (host key,
 * tailnet name, the unit's result, the status file). Without `status` the connection drops after the log.
 */
export interface RunOutput {
  log?: string[];
  status?: object;
  /** the unit's Result: success, or exit-code when the status says the run failed */
  result?: string;
  tailnet?: string;
  hostKey?: string;
}

/** The lines the follow (or start) script prints for `run`; `cursor` first for a script that started the run. */
export function runLines(run: RunOutput, hostKeyLine: string, cursor?: string): string[] {
  const result = run.result ?? ((run.status as { ok?: boolean }).ok === false ? 'exit-code' : 'success');
  return [
    ...(cursor === undefined ? [] : [`${MARK.cursor}${cursor}`]),
    ...(run.log ?? []),
    `${MARK.hostKey}${run.hostKey ?? hostKeyLine}`,
    `${MARK.tailnet}${run.tailnet ?? ''}`,
    `${MARK.result}${result}`,
    // the status file as the payload writes it: more than one line
    ...JSON.stringify(run.status, null, 2).split('\n'),
  ];
}

/** What a command run over ssh is, by the script it carries. */
export type CommandKind = 'boot' | 'follow' | 'start' | 'tailnet-login' | 'proof' | 'host-key' | 'other';

export function kindOf(login: Login, command: string): CommandKind {
  if (/^(sudo -n )?firstboot host-key (new|swap|show)$/.test(command)) return 'host-key';
  if (command === asRoot(login.user, followScript, [''])) return 'boot';
  if (command.startsWith(`${asRoot(login.user, followScript)} `)) return 'follow';
  if (command === asRoot(login.user, tailnetLoginScript, [], 'connection')) return 'tailnet-login';
  if (command === asRoot(login.user, 'true')) return 'proof';
  if (command.includes('systemctl restart --no-block firstboot.service')) return 'start';
  return 'other';
}

/** The command that follows the boot's run from its start, as `user` runs it. */
export const bootFollow = (user: string) => asRoot(user, followScript, ['']);

export interface ServerCall {
  login: Login;
  command: string;
  input?: Buffer;
}

/**
 * A server's ssh as `create --wait` meets it, as a RunRemote. `answer` says what each follow or start
 * meets (`n` counts the calls it was asked): an ssh failure, or the run's output. `firstboot host-key`
 * keeps a key as payload/host-key.ts does, starting from the pinned one. Every call is kept in `calls`.
 */
export function fakeServerSsh(
  answer: (call: ServerCall & { kind: CommandKind }, n: number) => SshResult | RunOutput | undefined,
) {
  const keys: { current: string; next?: string } = { current: hostKey.public.split(' ').slice(0, 2).join(' ') };
  const calls: ServerCall[] = [];
  let asked = 0;
  const run: RunRemote = async (login, command, opts = {}) => {
    calls.push({ login, command, ...(opts.input && { input: opts.input }) });
    const kind = kindOf(login, command);
    if (kind === 'host-key') {
      const action = command.split(' ').at(-1);
      if (action === 'new') keys.next ??= nextHostKey;
      if (action === 'swap' && keys.next) [keys.current, keys.next] = [keys.next, undefined];
      return { code: 0, stdout: `${action === 'new' ? keys.next : keys.current}\n`, stderr: '' };
    }
    const reply = answer({ login, command, kind, ...(opts.input && { input: opts.input }) }, asked++);
    if (!reply)
      throw new Error(
        `the fake server has no answer for ${kind} as ${login.user} on ${login.port}: ${command.slice(0, 80)}`,
      );
    if ('code' in reply) return reply;
    const cursor = kind === 'start' || kind === 'tailnet-login' ? 's=1;i=1' : undefined;
    const lines = reply.status
      ? runLines(reply, `${keys.current} root@web-1`, cursor)
      : [...(cursor === undefined ? [] : [`${MARK.cursor}${cursor}`]), ...(reply.log ?? [])];
    for (const line of lines) opts.onLine?.(line);
    const stdout = lines.map((l) => `${l}\n`).join('');
    return reply.status ? { code: 0, stdout, stderr: '' } : { ...sshFails.dropped, stdout };
  };
  return { run, calls, keys };
}
