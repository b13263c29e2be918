// firstboot create without --wait: what it makes through the API (server, keys, firewall), what it
// writes on this machine (the Host block, the pinned host key), and what it undoes or leaves behind
// when a step fails. create --wait: create-wait.test.ts.
import * as assert from 'uvu/assert';
import { readFile, stat, writeFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { closeBridge, create } from '../../hcloud/create';
import { HcloudError, LeftBehindError } from '../../hcloud/api/errors';
import { Fail } from '../../contract/fail';
import { md5Fingerprint } from '../../hcloud/ssh-keys';
import { adminKey, createOptions as options, createSuite, defaultYaml, edgeTcpPorts, hostKey } from './setup';
import { assertInputFail, rejection } from '../rejects';
import { needs } from '../needs';

// the spec ledger is checked by the last test
const { test, spec } = createSuite('firstboot create');

/** a failure of the input (exit 2): nothing was done */
async function inputFail(promise: Promise<unknown>): Promise<Fail> {
  const error = await rejection(promise, Fail);
  assertInputFail(error);
  return error;
}

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
    'Host *\n  ServerAliveInterval 30\n\n# firstboot: web-1 (old)\nHost web-1\n  HostName 198.51.100.7\n' +
      '  User old\n# end firstboot: web-1\n\nHost other\n  HostName example.org\n',
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
  const type = await inputFail(create(options(c, { type: 'cx32' })));
  assert.match(type.message, /unknown server type "cx32"; did you mean "cx33"\?/);
  const location = await inputFail(create(options(c, { location: 'fsn' })));
  assert.match(location.message, /did you mean "fsn1"/);
  const arm = await inputFail(create(options(c, { type: 'cax11', location: 'ash' })));
  assert.match(arm.message, /not offered in ash/);
  assert.is(c.fake.requests.filter((r) => r.method !== 'GET').length, 0);
});

test('a name or a label the API would refuse: said before any request, and nothing is made', async (c) => {
  const name = await inputFail(create(options(c, { name: 'web_1' })));
  assert.match(name.message, /^"web_1" is not a server name Hetzner takes: 1 to 63 letters, digits, "\." and "-"/);
  const key = await inputFail(create(options(c, { labels: { 'team name': 'x' } })));
  assert.match(key.message, /^label key "team name" is not one Hetzner takes/);
  const value = await inputFail(create(options(c, { labels: { team: 'ops!' } })));
  assert.match(value.message, /^label team="ops!": a value is up to 63/);
  assert.equal(c.fake.requests, [], 'not even a look-up');
});

test(
  "a Host block of the user's own for the name: " + "refused before any request, since it would win over firstboot's",
  async (c) => {
    needs('ssh', 'openssh-client'); // create reads the user's own Host blocks with `ssh -G`
    await mkdir(dirname(c.sshConfigPath), { recursive: true });
    await writeFile(c.sshConfigPath, 'Host *\n  ServerAliveInterval 60\n\nHost web-*\n  HostName 10.0.0.9\n');
    const error = await inputFail(create(options(c)));
    assert.match(error.message, /already sends "ssh web-1" to 10\.0\.0\.9 \(a Host block of yours/);
    assert.equal(c.fake.requests, []);
    // global settings alone send it nowhere: create goes on
    await writeFile(c.sshConfigPath, 'Host *\n  ServerAliveInterval 60\n');
    await create(options(c));
    assert.match(await readFile(c.sshConfigPath, 'utf8'), /^Host \*\n  ServerAliveInterval 60\n\n# firstboot: web-1/);
  },
);

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
  const error = await inputFail(create(options(c, { firewall: true })));
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

test(
  "a failed create that reused one of the user's SSH keys leaves that key, " + 'and removes only the one it uploaded',
  async (c) => {
    const second = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJljSxGJEIklWkdvj8+i5f6z4V05H2IrRwy7AMV7xtx3 firstboot-second';
    await writeFile(
      c.config,
      defaultYaml.replace(`ssh_keys: ["${adminKey}"]`, `ssh_keys: ["${adminKey}", "${second}"]`),
    );
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
  },
);

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

test('firewall without --wait: 22 stays open, and the report says how to close it', async (c) => {
  const result = await create(options(c, { firewall: true }));
  assert.equal(edgeTcpPorts(c, result.firewall!.id).sort(), ['22', '2222', '443']);
  assert.ok(
    c.reports.some((r) => r.includes(closeBridge('firstboot-web-1'))),
    c.reports.join('\n'),
  );
});

test('every request and answer fits the API description', () => spec.assertNone());

test.run();
