// apply's side of the run, against a server played by the test: what it sends, how it follows the
// run across a lost connection and a moved sshd, and what it writes to known_hosts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyPlan } from '../../apply/apply';
import { asRoot, END, MARK } from '../../apply/remote';
import { sshRunner, type Login } from '../../ssh/run';
import { parseTarget } from '../../ssh/target';
import { serverFiles } from '../../generator/render';
import { piecesDigest } from '../../contract/pieces';
import { rejects } from '../rejects';
import { Fail } from '../../contract/fail';
import { HOST_KEY, payload, planFor, target, status, LOG, ended, server, options } from './apply-setup';

test(
  'one connection that lasts: the files and the secret go on stdin, ' +
    'the log is printed, the planned login proven and trusted',
  async () => {
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
  },
);

test(
  "a plan that names a source for firstboot's pieces: " + 'apply sends them all anyway, so nothing is left to fetch',
  async () => {
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
  },
);

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
  assert.instance(err, Fail);
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
