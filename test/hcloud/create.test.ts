import { suite } from 'uvu';
import type { RunRemote } from '../../apply/ssh';
import { END } from '../../apply/remote';
import * as assert from 'uvu/assert';
import { readFile, stat, writeFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { closeBridge, create, type CreateOptions } from '../../hcloud/create';
import { HcloudError, HcloudInputError, LeftBehindError } from '../../hcloud/errors';
import { md5Fingerprint } from '../../hcloud/ssh-keys';
import { HostKeyMismatchError, waitForPayload, type SshResult } from '../../hcloud/ssh-wait';
import { specLedger } from '../fakes/openapi-check';

import { adminKey, defaultYaml, fakeAndClient, fakeServerSsh, hostKey, nextHostKey, payload, workspace } from './setup';
import { rejection } from '../rejects';

// checked by the last test: see specLedger
const spec = specLedger();

type Context = Awaited<ReturnType<typeof fakeAndClient>> &
  Awaited<ReturnType<typeof workspace>> & { reports: string[] };
const test = suite<Context>('firstboot create');

test.before.each(async (context) => {
  Object.assign(context, await fakeAndClient(), await workspace(), { reports: [] });
});
test.after.each(async ({ fake }) => {
  await fake.close();
  spec.record(fake.requests);
});

const options = (c: Context, extra: Partial<CreateOptions> = {}): CreateOptions => ({
  client: c.client,
  name: 'web-1',
  config: c.config,
  payload,
  sshConfigPath: c.sshConfigPath,
  knownHostsPath: c.knownHostsPath,
  makeHostKey: async () => hostKey,
  report: (m) => c.reports.push(m),
  ...extra,
});

/** tailnet-only SSH, with the console password it needs as a way back */
const tailnetOnlyYaml = `${defaultYaml.replace('admin:\n', 'admin:\n  password: secret:console\n')}tailscale:\n  enabled: true\n  auth_key: secret:tailscale\n  ssh_via_tailnet_only: true\n`;

const portOf = (args: string[]) => Number(args[args.indexOf('-p') + 1]);

test('creates the server with user-data, labels and keys, and trusts its host key before it boots', async (c) => {
  const result = await create(options(c, { labels: { team: 'ops' } }));
  const server = c.fake.servers.get(result.server.id)!;
  assert.is(server.serverType.name, 'cx23');
  assert.is(server.location.name, 'fsn1');
  assert.is(server.image.name, 'ubuntu-24.04');
  assert.match(server.userData!, /^#cloud-config\n/);
  assert.ok(server.userData!.includes('ed25519_private'), 'the host key pair is in the user-data');
  assert.equal(Object.keys(server.labels).sort(), ['firstboot-config', 'firstboot-version', 'team']);
  assert.is(server.labels['firstboot-config'], result.configHash.slice(0, 32));
  assert.equal(
    server.sshKeys.map((id) => c.fake.sshKeys.get(id)!.fingerprint),
    [md5Fingerprint(adminKey)],
  );

  const config = await readFile(c.sshConfigPath, 'utf8');
  assert.match(
    config,
    new RegExp(`Host web-1\\n  HostName ${server.ipv4}\\n  User ops\\n  Port 2222\\n  StrictHostKeyChecking yes\\n`),
  );
  assert.is((await stat(c.sshConfigPath)).mode & 0o777, 0o600);
  const [type, blob] = hostKey.public.split(' ');
  assert.is(await readFile(c.knownHostsPath, 'utf8'), `[${server.ipv4}]:2222 ${type} ${blob}\n`);
  assert.equal(result.server.ipv4, server.ipv4);
  assert.is(result.admin, 'ops');
  assert.is(result.firewall, undefined);
  assert.ok(
    c.reports.some((r) => r.startsWith('create_server ')),
    'progress was reported',
  );
});

test('reuses an SSH key with the same fingerprint instead of uploading it', async (c) => {
  const existing = c.fake.addSshKey('laptop', adminKey);
  const result = await create(options(c));
  assert.equal(result.sshKeys, ['laptop']);
  assert.equal([...c.fake.sshKeys.keys()], [existing.id]);
  assert.is(c.fake.requests.filter((r) => r.method === 'POST' && r.path === '/ssh_keys').length, 0);
});

test('a firewall mirrors the ufw rules and is attached when the server is made', async (c) => {
  const result = await create(options(c, { firewall: true }));
  const firewall = c.fake.firewalls.get(result.firewall!.id)!;
  assert.is(firewall.name, 'firstboot-web-1');
  assert.equal(
    firewall.rules.map((r) => [r.protocol, r.port]),
    // and 22 until sshd has moved (the tests below)
    [
      ['tcp', '2222'],
      ['udp', '60000-60010'],
      ['tcp', '443'],
      ['icmp', null],
      ['tcp', '22'],
    ],
  );
  assert.ok(firewall.rules.every((r) => r.direction === 'in' && r.source_ips!.includes('::/0')));
  assert.equal(c.fake.servers.get(result.server.id)!.firewalls, [firewall.id]);
});

test('replaces an old Host block and keeps what the user wrote', async (c) => {
  await mkdir(dirname(c.sshConfigPath), { recursive: true });
  await writeFile(
    c.sshConfigPath,
    'Host *\n  ServerAliveInterval 30\n\n# firstboot: web-1 (old)\nHost web-1\n  HostName 198.51.100.7\n  User old\n# end firstboot: web-1\n\nHost other\n  HostName example.org\n',
  );
  await writeFile(c.knownHostsPath, '[198.51.100.7]:2222 ssh-ed25519 AAAAold\nexample.org ssh-ed25519 AAAAkeep\n');
  const result = await create(options(c));
  const config = await readFile(c.sshConfigPath, 'utf8');
  assert.ok(
    config.startsWith('Host *\n  ServerAliveInterval 30\n\nHost other\n  HostName example.org\n\n# firstboot: web-1'),
    config,
  );
  assert.not.match(config, /198\.51\.100\.7/);
  assert.is(config.match(/Host web-1/g)!.length, 1);
  assert.match(config, new RegExp(`HostName ${result.server.ipv4}`));
  assert.match(await readFile(c.knownHostsPath, 'utf8'), /example\.org ssh-ed25519 AAAAkeep\n/);
});

test('unknown server type or location: a did-you-mean, and nothing is made', async (c) => {
  const type = await rejection(create(options(c, { type: 'cx32' })), HcloudInputError);
  assert.match(type.message, /unknown server type "cx32"; did you mean "cx33"\?/);
  const location = await rejection(create(options(c, { location: 'fsn' })), HcloudInputError);
  assert.match(location.message, /did you mean "fsn1"/);
  const arm = await rejection(create(options(c, { type: 'cax11', location: 'ash' })), HcloudInputError);
  assert.match(arm.message, /not offered in ash/);
  assert.is(c.fake.requests.filter((r) => r.method !== 'GET').length, 0);
});

test('a name or a label the API would refuse: said before any request, and nothing is made', async (c) => {
  const name = await rejection(create(options(c, { name: 'web_1' })), HcloudInputError);
  assert.match(name.message, /^"web_1" is not a server name Hetzner takes: 1 to 63 letters, digits, "\." and "-"/);
  const key = await rejection(create(options(c, { labels: { 'team name': 'x' } })), HcloudInputError);
  assert.match(key.message, /^label key "team name" is not one Hetzner takes/);
  const value = await rejection(create(options(c, { labels: { team: 'ops!' } })), HcloudInputError);
  assert.match(value.message, /^label team="ops!": a value is up to 63/);
  assert.equal(c.fake.requests, [], 'not even a look-up');
});

test("a Host block of the user's own for the name: refused before any request, since it would win over firstboot's", async (c) => {
  await mkdir(dirname(c.sshConfigPath), { recursive: true });
  await writeFile(c.sshConfigPath, 'Host *\n  ServerAliveInterval 60\n\nHost web-*\n  HostName 10.0.0.9\n');
  const error = await rejection(create(options(c)), HcloudInputError);
  assert.match(error.message, /already sends "ssh web-1" to 10\.0\.0\.9 \(a Host block of yours/);
  assert.equal(c.fake.requests, []);
  // global settings alone send it nowhere: create goes on
  await writeFile(c.sshConfigPath, 'Host *\n  ServerAliveInterval 60\n');
  await create(options(c));
  assert.match(await readFile(c.sshConfigPath, 'utf8'), /^Host \*\n  ServerAliveInterval 60\n\n# firstboot: web-1/);
});

test('a bad config fails before the API is called', async (c) => {
  await writeFile(c.config, 'admin:\n  name: root\n');
  try {
    await create(options(c));
    assert.unreachable();
  } catch (error) {
    assert.is((error as Error).constructor.name, 'ConfigError');
  }
  assert.equal(c.fake.requests, []);
});

test('a name already taken is refused before anything is made', async (c) => {
  await c.client.servers.create({ name: 'web-1', server_type: 'cx23', image: 'ubuntu-24.04' });
  const error = await rejection(create(options(c, { firewall: true })), HcloudInputError);
  assert.match(error.message, /a server named "web-1" already exists/);
  assert.is(c.fake.sshKeys.size, 0);
  assert.is(c.fake.firewalls.size, 0);
});

test('the server create is refused (taken meanwhile): uploaded key and firewall are removed again', async (c) => {
  c.fake.failNextRequest({
    method: 'POST',
    path: /^\/servers$/,
    status: 409,
    code: 'uniqueness_error',
    message: 'server name is already used',
  });
  const error = await rejection(create(options(c, { firewall: true })), HcloudError);
  assert.is(error.code, 'uniqueness_error');
  assert.is(c.fake.sshKeys.size, 0);
  assert.is(c.fake.firewalls.size, 0);
});

test("a failed create that reused one of the user's SSH keys leaves that key, and removes only the one it uploaded", async (c) => {
  const second = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJljSxGJEIklWkdvj8+i5f6z4V05H2IrRwy7AMV7xtx3 firstboot-second';
  await writeFile(c.config, defaultYaml.replace(`ssh_keys: ["${adminKey}"]`, `ssh_keys: ["${adminKey}", "${second}"]`));
  const laptop = c.fake.addSshKey('laptop', adminKey);
  c.fake.failNextRequest({
    method: 'POST',
    path: /^\/servers$/,
    status: 409,
    code: 'uniqueness_error',
    message: 'server name is already used',
  });
  await rejection(create(options(c)), HcloudError);
  assert.ok(
    c.fake.requests.some((r) => r.method === 'POST' && r.path === '/ssh_keys'),
    'the second key was uploaded',
  );
  assert.equal([...c.fake.sshKeys.keys()], [laptop.id]);
});

test('a create whose answer is lost, but which made the server, is reported as left behind', async (c) => {
  c.fake.failNextRequest({ method: 'POST', path: /^\/servers$/, drop: true, afterHandling: true });
  const error = await rejection(create(options(c)), LeftBehindError);
  assert.match(error.message, /server web-1 \(id \d+\) may be only partly set up/);
  assert.equal(error.cleanup, ['firstboot delete web-1 --yes']);
  assert.is(c.fake.servers.size, 1);
});

test('user_data over the limit is refused by the API: nothing is left', async (c) => {
  c.fake.failNextRequest({
    method: 'POST',
    path: /^\/servers$/,
    status: 422,
    code: 'invalid_input',
    message: 'invalid input in field user_data',
  });
  const error = await rejection(create(options(c)), HcloudError);
  assert.is(error.code, 'invalid_input');
  assert.is(c.fake.servers.size, 0);
  assert.is(c.fake.sshKeys.size, 0);
});

test('a failure after the server exists says so and how to delete it', async (c) => {
  await mkdir(c.knownHostsPath, { recursive: true }); // known_hosts cannot be written: it is a directory
  const error = await rejection(create(options(c)), LeftBehindError);
  assert.match(error.message, /server web-1 \(id \d+, 192\.0\.2\.\d+\) was created and still exists/);
  assert.equal(error.cleanup, ['firstboot delete web-1 --yes']);
  assert.is(c.fake.servers.size, 1);
});

test('a create action that fails leaves nothing, and says only what failed', async (c) => {
  c.fake.failNextAction('create_server', { code: 'placement_error', message: 'no capacity' });
  const error = await rejection(create(options(c, { firewall: true })), HcloudError);
  assert.is(error.code, 'placement_error');
  assert.is(c.fake.servers.size, 0);
  assert.is(c.fake.firewalls.size, 0);
});

test('wait: retries until SSH answers, then returns the payload status', async (c) => {
  const finished = {
    firstboot: '0.1.0',
    configHash: 'x',
    started: 's',
    finished: 'f',
    ok: true,
    steps: [{ id: 'ssh', result: 'changed', seconds: 1 }],
  };
  const answers: SshResult[] = [
    { code: 255, stdout: '', stderr: 'ssh: connect to host port 2222: Connection refused' },
    { code: 3, stdout: JSON.stringify({ ...finished, ok: undefined, finished: undefined }), stderr: '' },
    { code: 0, stdout: JSON.stringify(finished), stderr: '' },
  ];
  const server = fakeServerSsh((args) =>
    portOf(args) === 22
      ? { code: 255, stdout: '', stderr: 'ssh: connect to host port 22: Connection refused' }
      : answers.shift()!,
  );
  const result = await create(options(c, { wait: true, waitIntervalMs: 1, runSsh: server.run }));
  assert.equal(result.status, finished);
  const calls = server.calls.filter((args) => args.includes('status'));
  // nothing on 2222 yet: 22 is asked too
  assert.equal(calls.map(portOf), [2222, 22, 2222, 2222]);
  const args = calls[0]!.join(' ');
  assert.match(args, /StrictHostKeyChecking=yes/);
  assert.match(args, new RegExp(`UserKnownHostsFile=${c.knownHostsPath}`));
  assert.match(args, new RegExp(`-p 2222 ops@${result.server.ipv4} sudo -n firstboot status -o json`));
  assert.ok(c.reports.includes('waiting for SSH'));
});

test('wait: a different host key stops at once, and the server is reported as left', async (c) => {
  const error = await rejection(
    create(
      options(c, {
        wait: true,
        waitIntervalMs: 1,
        runSsh: async () => ({
          code: 255,
          stdout: '',
          stderr: '@@@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @@@\nHost key verification failed.\n',
        }),
      }),
    ),
    LeftBehindError,
  );
  assert.instance(error.cause, HostKeyMismatchError);
  assert.match(error.message, /did not answer with the host key/);
});

test("wait on port 22: as root until the payload has made the admin, tries spaced under ufw's limit", async () => {
  const status = (steps: string[], ok?: boolean) => ({
    code: ok === undefined ? 3 : 0,
    stderr: '',
    stdout: JSON.stringify({
      firstboot: '0.1.0',
      configHash: 'x',
      started: 's',
      ok,
      steps: steps.map((id) => ({ id, result: 'changed', seconds: 1 })),
    }),
  });
  const answers: SshResult[] = [
    { code: 255, stdout: '', stderr: 'ssh: connect to host 192.0.2.10 port 22: Connection refused' },
    { code: 1, stdout: '', stderr: 'sudo: firstboot: command not found' },
    status(['packages']),
    status(['packages', 'admin']),
    status(['packages', 'admin', 'ssh'], true),
  ];
  const users: string[] = [];
  const waits: number[] = [];
  const reports: string[] = [];
  const result = await waitForPayload({
    host: '192.0.2.10',
    port: 22,
    user: 'ops',
    knownHostsPath: '/dev/null',
    report: (m) => reports.push(m),
    runSsh: async (args) => (users.push(args.find((a) => a.endsWith('@192.0.2.10'))!), answers.shift()!),
    sleep: async (ms) => void waits.push(ms),
  });
  assert.is(result.status.ok, true);
  assert.equal(users, ['root@192.0.2.10', 'root@192.0.2.10', 'root@192.0.2.10', 'root@192.0.2.10', 'ops@192.0.2.10']);
  assert.equal(waits, [10_000, 10_000, 10_000, 10_000]);
  assert.equal(reports, [
    'waiting for SSH',
    'waiting for the payload to start',
    'payload running (1 steps done)',
    'payload running (2 steps done)',
  ]);
});

test('wait: a root login refused (the payload got there first) goes over to the admin, and spaces tries out', async () => {
  const answers: SshResult[] = [
    { code: 255, stdout: '', stderr: 'root@192.0.2.10: Permission denied (publickey).' },
    { code: 255, stdout: '', stderr: 'ops@192.0.2.10: Permission denied (publickey).' },
    {
      code: 0,
      stdout: JSON.stringify({ firstboot: '0.1.0', configHash: 'x', started: 's', ok: true, steps: [] }),
      stderr: '',
    },
  ];
  const users: string[] = [];
  const waits: number[] = [];
  await waitForPayload({
    host: '192.0.2.10',
    port: 22,
    user: 'ops',
    knownHostsPath: '/dev/null',
    report: () => {},
    runSsh: async (args) => (users.push(args.find((a) => a.endsWith('@192.0.2.10'))!), answers.shift()!),
    sleep: async (ms) => void waits.push(ms),
  });
  assert.equal(users, ['root@192.0.2.10', 'ops@192.0.2.10', 'ops@192.0.2.10']);
  assert.equal(waits, [30_000, 30_000]);
});

const finished = (ok: boolean, ssh: 'changed' | 'failed') =>
  JSON.stringify({
    firstboot: '0.1.0',
    configHash: 'x',
    started: 's',
    finished: 'f',
    ok,
    steps: [
      { id: 'admin', result: 'changed', seconds: 1 },
      { id: 'ssh', result: ssh, seconds: 1 },
    ],
  });
const edgeTcpPorts = (c: Context, id: number) =>
  c.fake.firewalls
    .get(id)!
    .rules.filter((r) => r.protocol === 'tcp')
    .map((r) => r.port);

test('firewall with another SSH port: 22 stays open at the edge until a login on the new port proves sshd moved', async (c) => {
  const result = await create(
    options(c, {
      firewall: true,
      wait: true,
      waitIntervalMs: 1,
      runSsh: fakeServerSsh((args) =>
        portOf(args) === 2222
          ? { code: 0, stdout: finished(true, 'changed'), stderr: '' }
          : { code: 255, stdout: '', stderr: 'ssh: connect to host x port 22: Connection refused' },
      ).run,
    }),
  );
  assert.equal(edgeTcpPorts(c, result.firewall!.id), ['2222', '443']);
  assert.ok(
    c.reports.includes('closed port 22 in firewall firstboot-web-1: sshd answers on 2222'),
    c.reports.join('\n'),
  );
  assert.ok(c.fake.requests.some((r) => r.path === `/firewalls/${result.firewall!.id}/actions/set_rules`));
});

test('firewall, and the ssh step fails: sshd stays on 22, the edge keeps 22 open, and the wait finds the result there', async (c) => {
  const server = fakeServerSsh((args) =>
    portOf(args) === 2222
      ? { code: 255, stdout: '', stderr: 'ssh: connect to host x port 2222: Connection refused' }
      : { code: 0, stdout: finished(false, 'failed'), stderr: '' },
  );
  const result = await create(options(c, { firewall: true, wait: true, waitIntervalMs: 1, runSsh: server.run }));
  const tries = server.calls.filter((args) => args.includes('status'));
  assert.is(result.status!.ok, false);
  const fromEdge = edgeTcpPorts(c, result.firewall!.id);
  assert.ok(fromEdge.includes('22') && fromEdge.includes('2222'), `edge tcp ports: ${fromEdge}`);
  assert.ok(
    c.reports.some((r) => /keeps port 22 open: the payload failed/.test(r)),
    c.reports.join('\n'),
  );
  // on 22 the pinned key is looked up under the entry create wrote for 2222
  assert.match(tries.at(-1)!.join(' '), new RegExp(`HostKeyAlias=\\[${result.server.ipv4}\\]:2222 .* -p 22 `));
  // and the host key is replaced there, by the login that answered (root: the ssh step never shut it out)
  const login = tries.at(-1)!.find((a) => a.endsWith(`@${result.server.ipv4}`));
  assert.ok(
    server.calls
      .filter((args) => args.includes('host-key'))
      .every((args) => portOf(args) === 22 && args.includes(login!)),
  );
  assert.is(server.keys.current, nextHostKey);
});

test('firewall, and the wait answered only on 22 though the run says ok: the edge keeps 22 open', async (c) => {
  // sshd may still listen on 22 only (a port the ssh step could not prove): an edge that closed 22 would shut the owner out
  const server = fakeServerSsh((args) =>
    portOf(args) === 2222
      ? { code: 255, stdout: '', stderr: 'ssh: connect to host x port 2222: Connection refused' }
      : { code: 0, stdout: finished(true, 'changed'), stderr: '' },
  );
  const result = await create(options(c, { firewall: true, wait: true, waitIntervalMs: 1, runSsh: server.run }));
  assert.is(result.status!.ok, true);
  assert.equal(edgeTcpPorts(c, result.firewall!.id).sort(), ['22', '2222', '443']);
  assert.not.ok(c.fake.requests.some((r) => r.path.endsWith('/set_rules')));
  assert.ok(
    c.reports.includes('firewall firstboot-web-1 keeps port 22 open: sshd answered on 22, not on 2222'),
    c.reports.join('\n'),
  );
});

test('firewall without --wait: 22 stays open, and the report says how to close it', async (c) => {
  const result = await create(options(c, { firewall: true }));
  assert.equal(edgeTcpPorts(c, result.firewall!.id).sort(), ['22', '2222', '443']);
  assert.ok(
    c.reports.some((r) => r.includes(closeBridge('firstboot-web-1'))),
    c.reports.join('\n'),
  );
});

test('firewall on port 22: no bridge rule, nothing to close', async (c) => {
  await writeFile(c.config, defaultYaml.replace('port: 2222', 'port: 22'));
  const result = await create(
    options(c, {
      firewall: true,
      wait: true,
      waitIntervalMs: 1,
      runSsh: fakeServerSsh(() => ({ code: 0, stdout: finished(true, 'changed'), stderr: '' })).run,
    }),
  );
  assert.equal(edgeTcpPorts(c, result.firewall!.id), ['22', '443']);
  assert.not.ok(c.fake.requests.some((r) => r.path.endsWith('/set_rules')));
});

test('wait: the pinned host key is replaced over the login it authenticated; known_hosts holds both only in between', async (c) => {
  const seen: string[] = [];
  const server = fakeServerSsh(() => ({ code: 0, stdout: finished(true, 'changed'), stderr: '' }));
  const result = await create(
    options(c, {
      wait: true,
      waitIntervalMs: 1,
      runSsh: async (args) => {
        if (args.includes('host-key'))
          seen.push(`${args.at(-1)}: ${(await readFile(c.knownHostsPath, 'utf8')).trim().split('\n').length} known`);
        return server.run(args);
      },
    }),
  );
  const entry = `[${result.server.ipv4}]:2222`;
  assert.equal(seen, ['new: 1 known', 'swap: 2 known', 'show: 1 known']);
  assert.is(await readFile(c.knownHostsPath, 'utf8'), `${entry} ${nextHostKey}\n`);
  assert.is(server.keys.current, nextHostKey);
  assert.ok(c.reports.some((r) => r.startsWith('replaced the host key the user-data carried')));
});

test('wait: a server that will not swap its key is an error, and known_hosts still trusts the key it answers with', async (c) => {
  const server = fakeServerSsh(() => ({ code: 0, stdout: finished(true, 'changed'), stderr: '' }));
  const error = await rejection(
    create(
      options(c, {
        wait: true,
        waitIntervalMs: 1,
        runSsh: async (args) =>
          args.at(-1) === 'swap' ? { code: 1, stdout: '', stderr: 'sudo: a password is required' } : server.run(args),
      }),
    ),
    LeftBehindError,
  );
  assert.match(error.message, /firstboot host-key swap" \(exit 1\): sudo: a password is required/);
  const known = await readFile(c.knownHostsPath, 'utf8');
  assert.ok(known.includes(server.keys.current), 'the key the server still uses is trusted');
});

test("wait with a secret: sent after the wait over the admin's login, on stdin, and the run that follows converges what waited", async (c) => {
  await writeFile(c.config, defaultYaml.replace('  name: ops\n', '  name: ops\n  password: secret:console\n'));
  const waited = {
    firstboot: '0.1.0',
    configHash: 'x',
    started: 's',
    finished: 'f',
    ok: true,
    steps: [{ id: 'admin', title: 'admin', result: 'waiting', seconds: 1 }],
  };
  const server = fakeServerSsh(() => ({ code: 0, stdout: JSON.stringify(waited), stderr: '' }));
  const calls: { login: { user: string; port: number }; command: string; input?: Buffer }[] = [];
  const converged = { ...waited, steps: [{ ...waited.steps[0], result: 'changed' }] };
  const runRemote: RunRemote = async (login, command, opts = {}) => {
    calls.push({ login, command, input: opts.input });
    const lines = [
      '@@firstboot cursor c',
      '[INFO] admin changed',
      '@@firstboot result success',
      JSON.stringify(converged),
    ];
    for (const line of lines) opts.onLine?.(line);
    return { code: 0, stdout: lines.join('\n'), stderr: '' };
  };
  const result = await create(
    options(c, {
      wait: true,
      waitIntervalMs: 1,
      runSsh: server.run,
      runRemote,
      secrets: new Map([['console', 'correct horse battery']]),
    }),
  );
  assert.equal(result.status, converged);
  assert.is(calls.length, 1);
  assert.equal(calls[0].login, { user: 'ops', port: 2222 });
  assert.ok(calls[0].input!.toString().endsWith(`correct horse battery${END}`));
  assert.not.ok(calls[0].command.includes('correct horse'));
  // after the host key was replaced: the login is trusted by the new key only
  assert.is(server.keys.current, nextHostKey);
  assert.not.ok(c.reports.some((r) => r.includes('correct horse')));
});

test("wait with GeoIP waiting for the owner: the run again over the admin's login (which records its address), with no secret", async (c) => {
  const waited = {
    firstboot: '0.1.0',
    configHash: 'x',
    started: 's',
    finished: 'f',
    ok: true,
    steps: [{ id: 'geoip', title: 'GeoIP blocking', result: 'waiting', seconds: 1 }],
  };
  const server = fakeServerSsh(() => ({ code: 0, stdout: JSON.stringify(waited), stderr: '' }));
  const calls: { login: { user: string; port: number }; command: string }[] = [];
  const converged = { ...waited, steps: [{ ...waited.steps[0], result: 'changed' }] };
  const runRemote: RunRemote = async (login, command, opts = {}) => {
    calls.push({ login, command });
    const lines = [
      '@@firstboot cursor c',
      '[INFO] geoip changed',
      '@@firstboot result success',
      JSON.stringify(converged),
    ];
    for (const line of lines) opts.onLine?.(line);
    return { code: 0, stdout: lines.join('\n'), stderr: '' };
  };
  const result = await create(options(c, { wait: true, waitIntervalMs: 1, runSsh: server.run, runRemote }));
  assert.equal(result.status, converged);
  assert.is(calls.length, 1);
  assert.equal(calls[0].login, { user: 'ops', port: 2222 });
  assert.match(calls[0].command, /\/var\/lib\/firstboot\/client-address/);
  // nothing waiting, nothing to send: no second run
  const done = fakeServerSsh(() => ({ code: 0, stdout: finished(true, 'changed'), stderr: '' }));
  await create(options(c, { name: 'web-2', wait: true, waitIntervalMs: 1, runSsh: done.run, runRemote }));
  assert.is(calls.length, 1);
});

test("wait with steps waiting for firstboot's pieces (the source was down): the run again over SSH, which carries them all", async (c) => {
  const waited = {
    firstboot: '0.1.0',
    configHash: 'x',
    started: 's',
    finished: 'f',
    ok: true,
    steps: [
      {
        id: 'fail2ban',
        title: 'fail2ban',
        result: 'waiting',
        seconds: 0,
        error: "waiting for firstboot's pieces from npm (https://registry.npmjs.org/): HTTP 404",
      },
    ],
  };
  const server = fakeServerSsh(() => ({ code: 0, stdout: JSON.stringify(waited), stderr: '' }));
  const calls: string[] = [];
  const converged = { ...waited, steps: [{ id: 'fail2ban', title: 'fail2ban', result: 'changed', seconds: 3 }] };
  const runRemote: RunRemote = async (_login, command, opts = {}) => {
    calls.push(command);
    const lines = ['@@firstboot cursor c', '@@firstboot result success', JSON.stringify(converged)];
    for (const line of lines) opts.onLine?.(line);
    return { code: 0, stdout: lines.join('\n'), stderr: '' };
  };
  const result = await create(options(c, { wait: true, waitIntervalMs: 1, runSsh: server.run, runRemote }));
  assert.is(calls.length, 1);
  assert.equal(result.status, converged);
});

test('ssh_via_tailnet_only with the auth key: once the run went through the tailnet, the edge closes SSH and mosh and the Host block leads there', async (c) => {
  await writeFile(c.config, tailnetOnlyYaml);
  const ok = {
    firstboot: '0.1.0',
    configHash: 'x',
    started: 's',
    finished: 'f',
    ok: true,
    steps: [{ id: 'tailscale', title: 'Tailscale', result: 'changed', seconds: 1 }],
  };
  const server = fakeServerSsh(() => ({
    code: 0,
    stdout: JSON.stringify({ ...ok, steps: [{ ...ok.steps[0], result: 'waiting' }] }),
    stderr: '',
  }));
  const runRemote: RunRemote = async (_login, _command, opts = {}) => {
    const lines = [
      '@@firstboot cursor c',
      `@@firstboot host-key ${nextHostKey}`,
      '@@firstboot tailnet web-1.example-tailnet.ts.net',
      '@@firstboot result success',
      JSON.stringify(ok),
    ];
    for (const line of lines) opts.onLine?.(line);
    return { code: 0, stdout: lines.join('\n'), stderr: '' };
  };
  const result = await create(
    options(c, {
      firewall: true,
      wait: true,
      waitIntervalMs: 1,
      runSsh: server.run,
      runRemote,
      secrets: new Map([['tailscale', 'tskey-auth-x']]),
    }),
  );
  const edge = c.fake.firewalls.get(result.firewall!.id)!.rules.map((r) => `${r.protocol} ${r.port ?? ''}`.trim());
  assert.equal(edge, ['tcp 443', 'icmp']);
  assert.ok(
    c.reports.includes('closed ssh and mosh in firewall firstboot-web-1: they go through the tailnet'),
    c.reports.join('\n'),
  );
  assert.match(
    await readFile(c.sshConfigPath, 'utf8'),
    /Host web-1\n  HostName web-1\.example-tailnet\.ts\.net\n  User ops\n  Port 2222\n/,
  );
  assert.match(
    await readFile(c.knownHostsPath, 'utf8'),
    new RegExp(`^\\[web-1\\.example-tailnet\\.ts\\.net\\]:2222 ${nextHostKey.replace(/[+/]/g, '\\$&')}$`, 'm'),
  );
});

test('ssh_via_tailnet_only, but no login through the tailnet name from here: the edge and the Host block keep public SSH, and say until when', async (c) => {
  await writeFile(c.config, tailnetOnlyYaml);
  const waiting = {
    firstboot: '0.1.0',
    configHash: 'x',
    started: 's',
    finished: 'f',
    ok: true,
    steps: [
      {
        id: 'tailscale',
        title: 'Tailscale',
        result: 'waiting',
        seconds: 1,
        error: 'waiting for a login through the tailnet name web-1.example-tailnet.ts.net',
      },
    ],
  };
  const server = fakeServerSsh(() => ({
    code: 0,
    stdout: JSON.stringify({ ...waiting, steps: [{ ...waiting.steps[0], error: 'waiting for secret tailscale' }] }),
    stderr: '',
  }));
  const logins: (string | undefined)[] = [];
  const runRemote: RunRemote = async (login, _command, opts = {}) => {
    logins.push(login.host);
    if (login.host)
      return { code: 255, stdout: '', stderr: `ssh: connect to host ${login.host} port 2222: Connection timed out` };
    const lines = [
      '@@firstboot cursor c',
      `@@firstboot host-key ${nextHostKey}`,
      '@@firstboot tailnet web-1.example-tailnet.ts.net',
      '@@firstboot result success',
      JSON.stringify(waiting),
    ];
    for (const line of lines) opts.onLine?.(line);
    return { code: 0, stdout: lines.join('\n'), stderr: '' };
  };
  const result = await create(
    options(c, {
      firewall: true,
      wait: true,
      waitIntervalMs: 1,
      runSsh: server.run,
      runRemote,
      secrets: new Map([['tailscale', 'tskey-auth-x']]),
    }),
  );
  assert.equal(logins, [undefined, 'web-1.example-tailnet.ts.net']);
  assert.ok(edgeTcpPorts(c, result.firewall!.id).includes('2222'));
  assert.match(
    await readFile(c.sshConfigPath, 'utf8'),
    new RegExp(`HostName ${result.server.ipv4!.replace(/\./g, '\\.')}\n`),
  );
  assert.ok(
    c.reports.some((r) =>
      /could not log in through the tailnet name web-1.example-tailnet.ts.net, so SSH and mosh stay public/.test(r),
    ),
    c.reports.join('\n'),
  );
  assert.ok(
    c.reports.some((r) => /keeps ssh and mosh open until a login through the server's tailnet name has worked/.test(r)),
    c.reports.join('\n'),
  );
});

test('a tailnet name the server reports that is not a DNS name: create refuses it, and the Host block, known_hosts and the edge stay as they were', async (c) => {
  await writeFile(c.config, tailnetOnlyYaml);
  const ok = {
    firstboot: '0.1.0',
    configHash: 'x',
    started: 's',
    finished: 'f',
    ok: true,
    steps: [{ id: 'tailscale', title: 'Tailscale', result: 'changed', seconds: 1 }],
  };
  const server = fakeServerSsh(() => ({
    code: 0,
    stdout: JSON.stringify({ ...ok, steps: [{ ...ok.steps[0], result: 'waiting' }] }),
    stderr: '',
  }));
  const runRemote: RunRemote = async (_login, _command, opts = {}) => {
    const lines = [
      '@@firstboot cursor c',
      `@@firstboot host-key ${nextHostKey}`,
      '@@firstboot tailnet github.com,*',
      '@@firstboot result success',
      JSON.stringify(ok),
    ];
    for (const line of lines) opts.onLine?.(line);
    return { code: 0, stdout: lines.join('\n'), stderr: '' };
  };
  const error = await rejection(
    create(
      options(c, {
        firewall: true,
        wait: true,
        waitIntervalMs: 1,
        runSsh: server.run,
        runRemote,
        secrets: new Map([['tailscale', 'tskey-auth-x']]),
      }),
    ),
    LeftBehindError,
  );
  assert.match(error.message, /reported "github.com,\*" as its tailnet name, which is not a DNS name/);
  const [made] = c.fake.servers.values();
  assert.match(await readFile(c.sshConfigPath, 'utf8'), new RegExp(`HostName ${made.ipv4!.replace(/\./g, '\\.')}\n`));
  assert.not.match(await readFile(c.knownHostsPath, 'utf8'), /github|\*/);
  assert.ok(
    [...c.fake.firewalls.values()][0].rules.some((r) => r.port === '2222'),
    'the edge closed SSH',
  );
});

test('ssh_via_tailnet_only before the auth key: the edge keeps SSH open, and says until when', async (c) => {
  await writeFile(c.config, tailnetOnlyYaml);
  const result = await create(
    options(c, {
      firewall: true,
      wait: true,
      waitIntervalMs: 1,
      runSsh: fakeServerSsh(() => ({ code: 0, stdout: finished(true, 'changed'), stderr: '' })).run,
    }),
  );
  assert.ok(edgeTcpPorts(c, result.firewall!.id).includes('2222'));
  assert.match(
    await readFile(c.sshConfigPath, 'utf8'),
    new RegExp(`HostName ${result.server.ipv4!.replace(/\./g, '\\.')}\n`),
  );
  assert.ok(
    c.reports.some((r) => /keeps ssh and mosh open until a login through the server's tailnet name has worked/.test(r)),
    c.reports.join('\n'),
  );
});

test('every request and answer fits the API description', () => spec.assertNone());

test.run();
