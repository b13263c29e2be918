// apply's side of the run, against a server played by the test: what it sends, how it follows the
// run across a lost connection and a moved sshd, and what it writes to known_hosts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyPlan, ApplyError } from '../../apply/apply';
import { asRoot, END, MARK } from '../../apply/remote';
import { parseTarget, sshRunner, type Login, type RunRemote, type Target } from '../../apply/ssh';
import type { SshResult } from '../../hcloud/ssh-wait';
import { plan as makePlan } from '../../generator/plan';
import { loadConfig } from '../../generator/config/load';
import { readPayload, serverFiles } from '../../generator/render';
import { piecesDigest } from '../../contract/pieces';
import { rejects } from '../rejects';
import { hostKey, ReportedError, tailnetName } from '../../hcloud/reported';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINQur/rZ9TBsuK9LDYPMLWxYD15U4YeWKAC2I/kuCgSc';
const HOST_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHBtc2xlZXAgcGxlYXNlIGtlZXAgdGhpcyBmaXhlZA';
const payload = readPayload();

async function planFor(yaml: string) {
  const { config } = await loadConfig({ text: `admin:\n  ssh_keys: ["${KEY} me"]\n${yaml}` });
  return makePlan(config!);
}

function target(): Target {
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

const status = {
  firstboot: 't',
  configHash: 'h',
  started: 'now',
  finished: 'later',
  ok: true,
  steps: [{ id: 'ssh', title: 'ssh', result: 'changed', seconds: 1 }],
};
const LOG = ['[INFO] packages ok', '[INFO] ssh changed', '[INFO] firstboot finished: ok'];
const ended = [`${MARK.hostKey}${HOST_KEY} root@host`, `${MARK.result}success`, JSON.stringify(status)];

interface Call {
  login: Login;
  command: string;
  input?: Buffer;
}

/** A server: `answer` gives each call's output lines and exit (ssh's own failures are exit 255). */
function server(
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
const clock = () => {
  let t = 0;
  return () => (t += 10_000);
};

const options = (t: Target, run: RunRemote, printed: string[] = [], reported: string[] = []) => ({
  target: t,
  payload,
  secrets: new Map([['console', 'correct horse battery']]),
  run,
  report: (m: string) => reported.push(m),
  print: (l: string) => printed.push(l),
  sleep: async () => {},
  now: clock(),
});

test('one connection that lasts: the files and the secret go on stdin, the log is printed, the planned login proven and trusted', async () => {
  const plan = await planFor('ssh:\n  port: 2222\n');
  const t = target();
  const run = server((call) =>
    call.command.includes('take ')
      ? { lines: [`${MARK.hostKey}${HOST_KEY}`, `${MARK.cursor}s=abc;i=1`, ...LOG, ...ended] }
      : {},
  );
  const printed: string[] = [];
  const result = await applyPlan({ ...options(t, run, printed), plan });
  assert.equal(printed, LOG);
  assert.equal(result.status, status);
  assert.equal(result.login, { user: 'admin', port: 2222 });
  const [start, proof] = run.calls;
  assert.equal(start.login, { user: 'root', port: 22 });
  assert.not.match(start.command, /^sudo/, 'root needs no sudo');
  assert.not.ok(start.command.includes('correct horse'), 'the secret is on the command line');
  assert.ok(start.input!.toString().endsWith(`correct horse battery${END}`), 'the secret is not on stdin');
  assert.match(start.command, /take \d+ \/var\/lib\/firstboot\/secrets\/console 0600/);
  assert.equal(proof, { login: { user: 'admin', port: 2222 }, command: asRoot('admin', 'true'), input: undefined });
  assert.equal(readFileSync(t.knownHosts, 'utf8').split('\n'), [
    '203.0.113.5 ecdsa-sha2-nistp256 AAAAE2VjZHNh',
    `203.0.113.5 ${HOST_KEY}`,
    `[203.0.113.5]:2222 ${HOST_KEY}`,
    '',
  ]);
});

test("a plan that names a source for firstboot's pieces: apply sends them all anyway, so nothing is left to fetch", async () => {
  const whole = await planFor('');
  const plan = { ...whole, pieces: { from: 'npm', digest: piecesDigest(payload.files) } };
  const run = server((call) =>
    call.command.includes('take ')
      ? { lines: [`${MARK.hostKey}${HOST_KEY}`, `${MARK.cursor}s=abc;i=1`, ...LOG, ...ended] }
      : {},
  );
  await applyPlan({ ...options(target(), run, []), plan });
  const sent = run.calls[0].input!.toString();
  assert.ok(sent.includes(serverFiles(whole, payload)[0].content), 'the payload with every piece the plan runs');
  assert.not.ok(sent.includes(serverFiles(plan, payload)[0].content));
});

test('SSH left to the tailnet only: apply says the tailnet name, and the host key is trusted under it', async () => {
  const plan = await planFor('ssh:\n  port: 2222\n');
  const t = target();
  const converged = {
    ...status,
    steps: [...status.steps, { id: 'tailscale', title: 'Tailscale', result: 'ok', seconds: 1 }],
  };
  const run = server(() => ({
    lines: [
      `${MARK.hostKey}${HOST_KEY}`,
      `${MARK.cursor}c`,
      `${MARK.tailnet}web1.example-tailnet.ts.net`,
      ...LOG,
      `${MARK.result}success`,
      JSON.stringify(converged),
    ],
  }));
  const result = await applyPlan({ ...options(t, run), plan });
  assert.is(result.tailnet, 'web1.example-tailnet.ts.net');
  assert.ok(readFileSync(t.knownHosts, 'utf8').split('\n').includes(`[web1.example-tailnet.ts.net]:2222 ${HOST_KEY}`));
  // no tailnet name: none in the result
  const before = await applyPlan({
    ...options(
      target(),
      server(() => ({ lines: [`${MARK.hostKey}${HOST_KEY}`, `${MARK.cursor}c`, MARK.tailnet, ...LOG, ...ended] })),
    ),
    plan,
  });
  assert.is(before.tailnet, undefined);
});

test('tailnet-only SSH waiting for the owner: apply logs in through the tailnet name with the pinned key, notes that login, runs the payload again over it, and only then says SSH goes through the tailnet', async () => {
  const plan = await planFor('ssh:\n  port: 2222\n');
  const t = target();
  const waiting = {
    ...status,
    steps: [
      {
        id: 'tailscale',
        title: 'Tailscale',
        result: 'waiting',
        seconds: 1,
        error:
          'waiting for a login through the tailnet name web1.example-tailnet.ts.net: SSH and mosh stay public until it works',
      },
    ],
  };
  const closed = { ...status, steps: [{ id: 'tailscale', title: 'Tailscale', result: 'changed', seconds: 1 }] };
  const run = server((call) =>
    call.login.host
      ? {
          lines: [
            `${MARK.cursor}d`,
            '[INFO] tailscale: SSH goes through the tailnet only: web1.example-tailnet.ts.net',
            `${MARK.hostKey}${HOST_KEY}`,
            `${MARK.tailnet}web1.example-tailnet.ts.net`,
            `${MARK.result}success`,
            JSON.stringify(closed),
          ],
        }
      : {
          lines: [
            `${MARK.hostKey}${HOST_KEY}`,
            `${MARK.cursor}c`,
            `${MARK.tailnet}web1.example-tailnet.ts.net`,
            ...LOG,
            `${MARK.result}success`,
            JSON.stringify(waiting),
          ],
        },
  );
  const reported: string[] = [];
  const result = await applyPlan({ ...options(t, run, [], reported), plan });
  const via = run.calls.find((c) => c.login.host);
  assert.equal(via?.login, { user: 'admin', port: 2222, host: 'web1.example-tailnet.ts.net' });
  // the login notes its own SSH_CONNECTION, which sudo would drop, and starts the run again
  assert.match(
    via!.command,
    /^sudo -n sh -c '.*\/var\/lib\/firstboot\/tailnet-login.*systemctl restart --no-block firstboot.service.*' sh "\$SSH_CONNECTION"$/s,
  );
  // by then the host key is trusted under the tailnet name, so ssh checks it there
  assert.ok(readFileSync(t.knownHosts, 'utf8').split('\n').includes(`[web1.example-tailnet.ts.net]:2222 ${HOST_KEY}`));
  assert.is(result.tailnet, 'web1.example-tailnet.ts.net');
  assert.equal(result.status, closed);
  assert.ok(
    reported.some((m) =>
      m.startsWith('logging in through the tailnet as admin@web1.example-tailnet.ts.net (port 2222)'),
    ),
  );

  // the tailnet login fails: no tailnet in the result (the Host block keeps the public address), and apply says why
  const cut = server((call) =>
    call.login.host
      ? { code: 255, stderr: 'ssh: Could not resolve hostname web1.example-tailnet.ts.net: Name or service not known' }
      : {
          lines: [
            `${MARK.hostKey}${HOST_KEY}`,
            `${MARK.cursor}c`,
            `${MARK.tailnet}web1.example-tailnet.ts.net`,
            ...LOG,
            `${MARK.result}success`,
            JSON.stringify(waiting),
          ],
        },
  );
  const said: string[] = [];
  const pending = await applyPlan({ ...options(target(), cut, [], said), plan });
  assert.is(pending.tailnet, undefined);
  assert.equal(pending.status, waiting);
  assert.ok(
    said.some((m) =>
      /^could not log in through the tailnet name web1.example-tailnet.ts.net, so SSH and mosh stay public: ssh: Could not resolve/.test(
        m,
      ),
    ),
    said.join('\n'),
  );
  // a tailscale step that failed after naming the node closed nothing either
  const failed = {
    ...status,
    ok: false,
    steps: [
      {
        id: 'tailscale',
        title: 'Tailscale',
        result: 'failed',
        seconds: 1,
        error: 'the node is offline in the tailnet',
      },
    ],
  };
  const broken = server(() => ({
    lines: [
      `${MARK.hostKey}${HOST_KEY}`,
      `${MARK.cursor}c`,
      `${MARK.tailnet}web1.example-tailnet.ts.net`,
      ...LOG,
      `${MARK.result}success`,
      JSON.stringify(failed),
    ],
  }));
  assert.is((await applyPlan({ ...options(target(), broken), plan })).tailnet, undefined);
});

test('a tailnet name or host key not of its strict form: refused with a sentence, and known_hosts untouched', async () => {
  const plan = await planFor('ssh:\n  port: 2222\n');
  for (const name of ['github.com,*', '*', 'web1 evil.example', 'web1.ts.net|x', '-web1.ts.net', 'web1.ts.net/..']) {
    const t = target();
    const before = readFileSync(t.knownHosts, 'utf8');
    const run = server(() => ({
      lines: [`${MARK.hostKey}${HOST_KEY}`, `${MARK.cursor}c`, `${MARK.tailnet}${name}`, ...LOG, ...ended],
    }));
    const err = await rejects(
      () => applyPlan({ ...options(t, run), plan }),
      /as its tailnet name, which is not a DNS name .*nothing was written/,
    );
    assert.instance(err, ReportedError);
    // the first login's key is in (it came before the name); nothing of the run's end is
    assert.equal(readFileSync(t.knownHosts, 'utf8'), `${before}203.0.113.5 ${HOST_KEY}\n`, name);
  }
  for (const key of [
    'ssh-ed25519 AAAA,*',
    'ssh-ed25519 *',
    `ssh-rsa ${HOST_KEY.split(' ')[1]}`,
    `ssh-ed25519 ${Buffer.from('\0\0\0\x07ssh-rsa....').toString('base64')}`,
  ]) {
    const t = target();
    const before = readFileSync(t.knownHosts, 'utf8');
    const run = server(() => ({
      lines: [`${MARK.hostKey}${key}`, `${MARK.cursor}c`, ...LOG, `${MARK.hostKey}${key}`, ...ended.slice(1)],
    }));
    await rejects(
      () => applyPlan({ ...options(t, run), plan }),
      /as its host key, which is not a ssh-ed25519 key in base64; nothing was written to known_hosts/,
    );
    assert.is(readFileSync(t.knownHosts, 'utf8'), before, key);
  }
});

test('the strict forms: a DNS name of letters, digits, hyphens and dots; a known key type whose blob names it', () => {
  assert.is(tailnetName('web-1.example-tailnet.ts.net'), 'web-1.example-tailnet.ts.net');
  for (const bad of [
    '',
    'web1',
    'web1.',
    '.ts.net',
    'web1..ts.net',
    'web1.ts.net\nHost *',
    'web_1.ts.net',
    'wéb.ts.net',
    `${'a'.repeat(64)}.ts.net`,
    `${'abc.'.repeat(63)}net`,
  ]) {
    assert.throws(
      () => tailnetName(bad),
      (e: Error) => e instanceof ReportedError,
      bad,
    );
  }
  const blob = HOST_KEY.split(' ')[1];
  assert.is(hostKey(`${HOST_KEY} root@web1`), HOST_KEY);
  for (const bad of [
    `ssh-ed25519 ${blob}\n@cert-authority * ssh-ed25519 ${blob}`,
    `ssh-dss ${blob}`,
    'ssh-ed25519',
    `ssh-ed25519 ${blob}$`,
  ]) {
    assert.throws(
      () => hostKey(bad),
      (e: Error) => e instanceof ReportedError,
      bad,
    );
  }
});

test('a lost connection: apply logs in again where sshd now is, as the admin, and prints each line once', async () => {
  const plan = await planFor('ssh:\n  port: 2222\n');
  const run = server((call, n) => {
    if (n === 0)
      return {
        lines: [`${MARK.hostKey}${HOST_KEY}`, `${MARK.cursor}s=abc;i=1`, LOG[0]],
        code: 255,
        stderr: 'Connection to 203.0.113.5 closed by remote host.',
      };
    if (call.login.port === 22)
      return { code: 255, stderr: 'ssh: connect to host 203.0.113.5 port 22: Connection refused' };
    return { lines: [...LOG, ...ended] };
  });
  const printed: string[] = [];
  const reported: string[] = [];
  const result = await applyPlan({ ...options(target(), run, printed, reported), plan });
  assert.equal(printed, LOG);
  assert.equal(
    run.calls.slice(1).map((c) => c.login),
    [
      { user: 'root', port: 22 },
      { user: 'admin', port: 2222 },
    ],
  );
  assert.match(run.calls[2].command, /^sudo -n sh -c /);
  assert.ok(run.calls[2].command.endsWith(`'s=abc;i=1'`), 'the follow starts at the cursor');
  assert.equal(result.login, { user: 'admin', port: 2222 });
  assert.ok(
    reported.some((m) =>
      /lost the connection \(Connection to 203.0.113.5 closed by remote host.\); logging in again/.test(m),
    ),
  );
});

test('nothing sent when the first login fails; a run that never wrote its status is an error', async () => {
  const plan = await planFor('');
  const t = { ...target(), user: 'ops' };
  const noSudo = server(() => ({ code: 1, stderr: 'sudo: a password is required' }));
  await rejects(
    () => applyPlan({ ...options(t, noSudo), plan }),
    /ops cannot use sudo without a password on 203.0.113.5; log in as root/,
  );
  assert.is(noSudo.calls.length, 1);
  const noKey = server(() => ({ code: 255, stderr: 'Host key verification failed.' }));
  const err = await rejects(
    () => applyPlan({ ...options(t, noKey), plan }),
    /ssh does not trust the host key of 203.0.113.5; nothing was sent/,
  );
  assert.instance(err, ApplyError);
  const prepareFailed = server(() => ({
    lines: [`${MARK.cursor}c`, 'E: Unable to locate package nodejs', `${MARK.result}exit-code`],
  }));
  await rejects(
    () => applyPlan({ ...options(t, prepareFailed), plan }),
    /firstboot.service ended \(exit-code\) before the payload wrote its status/,
  );
});

test('asRoot quotes the script and its arguments for the login shell', () => {
  const command = asRoot('root', `printf '%s|' "$@"; echo "it's"`, ['a b', "c'd", 's=1;i=2']);
  assert.is(execFileSync('sh', ['-c', command], { encoding: 'utf8' }), "a b|c'd|s=1;i=2|it's\n");
  assert.match(asRoot('ops', 'true'), /^sudo -n sh -c 'true' sh$/);
  // the login's own SSH_CLIENT goes in as $1, expanded by the login shell before sudo could drop it
  const client = asRoot('ops', 'echo "$1|$2"', ['x'], true);
  assert.is(
    execFileSync('sh', ['-c', client.replace(/^sudo -n /, '')], {
      encoding: 'utf8',
      env: { SSH_CLIENT: '198.51.100.7 50123 22' },
    }),
    '198.51.100.7 50123 22|x\n',
  );
});

test("the start script notes the address apply came from, for GeoIP's guard", async () => {
  const plan = await planFor('');
  const run = server((call) =>
    call.command.includes('take ')
      ? { lines: [`${MARK.hostKey}${HOST_KEY}`, `${MARK.cursor}c`, ...LOG, ...ended] }
      : {},
  );
  await applyPlan({ ...options(target(), run), plan });
  assert.match(
    run.calls[0].command,
    /^sh -c '.*printf '\\''%s\\n'\\'' "\$\{c%% \*\}" > \/var\/lib\/firstboot\/client-address/s,
  );
  assert.match(run.calls[0].command, / sh "\$SSH_CLIENT"$/);
});

test('a login through another name of the server: ssh goes there and checks the host key under that name', async () => {
  const bin = mkdtempSync(join(tmpdir(), 'firstboot-ssh-'));
  writeFileSync(join(bin, 'ssh'), '#!/bin/sh\nprintf "%s\\n" "$@"\n', { mode: 0o755 });
  const path = process.env.PATH;
  process.env.PATH = `${bin}:${path}`;
  try {
    const run = sshRunner({ ...target(), port: 22, hostKeyAlias: '203.0.113.5' });
    const args = async (login: Login) => (await run(login, 'true')).stdout.split('\n');
    const tailnet = await args({ user: 'admin', port: 2222, host: 'web1.example-tailnet.ts.net' });
    assert.ok(tailnet.includes('HostKeyAlias=[web1.example-tailnet.ts.net]:2222'), tailnet.join(' '));
    assert.is(tailnet[tailnet.indexOf('--') + 1], 'web1.example-tailnet.ts.net');
    const plain = await args({ user: 'admin', port: 2222 });
    assert.ok(plain.includes('HostKeyAlias=203.0.113.5'));
    assert.is(plain[plain.indexOf('--') + 1], '203.0.113.5');
  } finally {
    process.env.PATH = path;
  }
});

test('[USER@]HOST[:PORT], IPv6 in brackets', () => {
  assert.equal(parseTarget('root@203.0.113.5:2222'), { name: '203.0.113.5', user: 'root', port: 2222 });
  assert.equal(parseTarget('dev1'), { name: 'dev1', user: undefined, port: undefined });
  assert.equal(parseTarget('ops@[2001:db8::1]:22'), { name: '2001:db8::1', user: 'ops', port: 22 });
  assert.equal(parseTarget('2001:db8::1'), { name: '2001:db8::1', user: undefined, port: undefined });
  for (const bad of ['@host', 'host:', 'host:ssh', 'host:70000', ''])
    assert.throws(() => parseTarget(bad), /HOST|port/);
});

test.run();
