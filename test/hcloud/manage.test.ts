// list, delete and rescale on servers firstboot made.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile, writeFile } from 'node:fs/promises';
import { create } from '../../hcloud/create';
import { deleteServer } from '../../hcloud/delete';
import { HcloudError } from '../../hcloud/api/errors';
import { Fail } from '../../contract/fail';
import { list } from '../../hcloud/list';
import { rescale } from '../../hcloud/rescale';
import { specLedger } from '../fakes/openapi-check';

import { fakeAndClient, hostKey, payload, workspace } from './setup';
import { assertInputFail, rejection } from '../rejects';

// checked by the last test: see specLedger
const spec = specLedger();

type Context = Awaited<ReturnType<typeof fakeAndClient>> & Awaited<ReturnType<typeof workspace>>;
const test = suite<Context>('firstboot list, delete, rescale');

test.before.each(async (context) => {
  Object.assign(context, await fakeAndClient(), await workspace());
});
test.after.each(async ({ fake }) => {
  await fake.close();
  spec.record(fake.requests);
});

const make = (c: Context, name: string, extra: { type?: string; firewall?: boolean } = {}) =>
  create({
    client: c.client,
    name,
    config: c.config,
    payload,
    sshConfigPath: c.sshConfigPath,
    knownHostsPath: c.knownHostsPath,
    makeHostKey: async () => hostKey,
    ...extra,
  });

async function running(c: Context, id: number) {
  for (let i = 0; i < 100 && c.fake.servers.get(id)?.status !== 'running'; i++)
    await new Promise((r) => setTimeout(r, 10));
}

test('list: only the servers firstboot made', async (c) => {
  const made = await make(c, 'web-1');
  await c.client.servers.create({ name: 'hand-made', server_type: 'cx23', image: 'ubuntu-24.04' });
  const listed = await list({ client: c.client });
  assert.equal(
    listed.map((s) => [s.name, s.ipv4, s.type, s.configHash]),
    [['web-1', made.server.ipv4, 'cx23', made.configHash.slice(0, 32)]],
  );
});

test('delete: asks first, and a no leaves everything', async (c) => {
  await make(c, 'web-1');
  const asked: string[] = [];
  const result = await deleteServer({
    client: c.client,
    name: 'web-1',
    sshConfigPath: c.sshConfigPath,
    knownHostsPath: c.knownHostsPath,
    confirm: async (s) => (asked.push(s.name), false),
  });
  assert.is(result.deleted, false);
  assert.equal(asked, ['web-1']);
  assert.is(c.fake.servers.size, 1);
  assert.match(await readFile(c.sshConfigPath, 'utf8'), /Host web-1/);
});

test('delete --yes: server, firewall, ssh config block and known_hosts entry go; the rest stays', async (c) => {
  const made = await make(c, 'web-1', { firewall: true });
  await writeFile(
    c.sshConfigPath,
    'Host other\n  HostName example.org\n\n' + (await readFile(c.sshConfigPath, 'utf8')),
  );
  await writeFile(c.knownHostsPath, 'example.org ssh-ed25519 AAAAkeep\n' + (await readFile(c.knownHostsPath, 'utf8')));
  const result = await deleteServer({
    client: c.client,
    name: 'web-1',
    yes: true,
    sshConfigPath: c.sshConfigPath,
    knownHostsPath: c.knownHostsPath,
  });
  assert.equal(result, {
    deleted: true,
    server: { id: made.server.id, name: 'web-1' },
    firewall: made.firewall!.id,
    sshConfigBlockRemoved: true,
  });
  assert.is(c.fake.servers.size, 0);
  assert.is(c.fake.firewalls.size, 0);
  assert.is(await readFile(c.sshConfigPath, 'utf8'), 'Host other\n  HostName example.org\n');
  assert.is(await readFile(c.knownHostsPath, 'utf8'), 'example.org ssh-ed25519 AAAAkeep\n');
});

test('delete of a server reached through its tailnet: the known_hosts entries of both names go', async (c) => {
  const made = await make(c, 'web-1');
  const ipv4 = made.server.ipv4!;
  await writeFile(
    c.sshConfigPath,
    (await readFile(c.sshConfigPath, 'utf8')).replace(`HostName ${ipv4}`, 'HostName web-1.example-tailnet.ts.net'),
  );
  await writeFile(
    c.knownHostsPath,
    `${await readFile(c.knownHostsPath, 'utf8')}[web-1.example-tailnet.ts.net]:2222 ssh-ed25519 AAAAtailnet\n`,
  );
  await deleteServer({
    client: c.client,
    name: 'web-1',
    yes: true,
    sshConfigPath: c.sshConfigPath,
    knownHostsPath: c.knownHostsPath,
  });
  assert.is(await readFile(c.knownHostsPath, 'utf8'), '');
});

test('delete removes hashed known_hosts entries too', async (c) => {
  const made = await make(c, 'web-1');
  const { createHmac, randomBytes } = await import('node:crypto');
  const salt = randomBytes(20);
  const hmac = createHmac('sha1', salt).update(`[${made.server.ipv4}]:2222`).digest('base64');
  const hashed = `|1|${salt.toString('base64')}|${hmac} ssh-ed25519 AAAAold\n`;
  await writeFile(c.knownHostsPath, hashed);
  await deleteServer({
    client: c.client,
    name: 'web-1',
    yes: true,
    sshConfigPath: c.sshConfigPath,
    knownHostsPath: c.knownHostsPath,
  });
  assert.is(await readFile(c.knownHostsPath, 'utf8'), '');
});

test('delete refuses a server firstboot did not make, and an unknown name', async (c) => {
  await c.client.servers.create({ name: 'hand-made', server_type: 'cx23', image: 'ubuntu-24.04' });
  const foreign = await rejection(deleteServer({ client: c.client, name: 'hand-made', yes: true }), Fail);
  assertInputFail(foreign);
  assert.match(foreign.message, /not made by firstboot/);
  const missing = await rejection(deleteServer({ client: c.client, name: 'nope', yes: true }), Fail);
  assertInputFail(missing);
  assert.match(missing.message, /no server named "nope"/);
  assert.is(c.fake.servers.size, 1);
});

test('delete without yes and without a confirm callback refuses', async (c) => {
  await make(c, 'web-1');
  await rejection(deleteServer({ client: c.client, name: 'web-1' }), Error);
  assert.is(c.fake.servers.size, 1);
});

test('rescale: shuts down, changes the type, powers on again', async (c) => {
  const made = await make(c, 'web-1');
  await running(c, made.server.id);
  const reports: string[] = [];
  const result = await rescale({
    client: c.client,
    name: 'web-1',
    type: 'cx33',
    report: (m) => reports.push(m),
    pollIntervalMs: 5,
  });
  assert.equal(result, { server: { id: made.server.id, name: 'web-1' }, from: 'cx23', to: 'cx33', running: true });
  const server = c.fake.servers.get(made.server.id)!;
  assert.is(server.serverType.name, 'cx33');
  assert.is(server.status, 'running');
  const posted = c.fake.requests.filter((r) => r.method === 'POST').map((r) => r.path.split('/').pop());
  assert.equal(posted.slice(-3), ['shutdown', 'change_type', 'poweron']);
  assert.equal(JSON.parse(c.fake.requests.find((r) => r.path.endsWith('change_type'))!.body.toString()), {
    server_type: 'cx33',
    upgrade_disk: false,
  });
});

test('rescale: a guest that ignores the ACPI shutdown is powered off after the timeout', async (c) => {
  const made = await make(c, 'web-1');
  await running(c, made.server.id);
  c.fake.ignoreAcpiShutdown();
  const reports: string[] = [];
  await rescale({
    client: c.client,
    name: 'web-1',
    type: 'cx33',
    shutdownTimeoutMs: 20,
    pollIntervalMs: 5,
    report: (m) => reports.push(m),
  });
  assert.ok(reports.includes('no clean shutdown in time; powering off'));
  const posted = c.fake.requests.filter((r) => r.method === 'POST').map((r) => r.path.split('/').pop());
  assert.equal(posted.slice(-4), ['shutdown', 'poweroff', 'change_type', 'poweron']);
  assert.is(c.fake.servers.get(made.server.id)!.status, 'running');
});

test('rescale of a server that is off leaves it off', async (c) => {
  const made = await make(c, 'web-1');
  await running(c, made.server.id);
  c.fake.setServerStatus(made.server.id, 'off');
  const result = await rescale({ client: c.client, name: 'web-1', type: 'cx33' });
  assert.is(result.running, false);
  assert.is(c.fake.servers.get(made.server.id)!.status, 'off');
});

test('rescale refuses x86 <-> ARM, unknown types and the same type, touching nothing', async (c) => {
  await make(c, 'web-1');
  const arm = await rescale({ client: c.client, name: 'web-1', type: 'cax21' }).catch((e) => e);
  assertInputFail(arm);
  assert.match(arm.message, /x86 \(cx23\) and cax21 is arm/);
  const typo = await rescale({ client: c.client, name: 'web-1', type: 'cx34' }).catch((e) => e);
  assert.match(typo.message, /did you mean "cx33"/);
  const same = await rescale({ client: c.client, name: 'web-1', type: 'cx23' }).catch((e) => e);
  assert.match(same.message, /already cx23/);
  assert.is(c.fake.requests.filter((r) => r.method === 'POST' && r.path.includes('/actions/')).length, 0);
});

test('rescale: when change_type fails, the server is powered on again with its old type', async (c) => {
  const made = await make(c, 'web-1');
  await running(c, made.server.id);
  c.fake.failNextAction('change_server_type', { code: 'invalid_server_type', message: 'not possible right now' });
  const error = await rejection(
    rescale({ client: c.client, name: 'web-1', type: 'cx33', pollIntervalMs: 5 }),
    HcloudError,
  );
  assert.is(error.code, 'invalid_server_type');
  const server = c.fake.servers.get(made.server.id)!;
  assert.is(server.serverType.name, 'cx23');
  assert.is(server.status, 'running');
});

test('rescale: a refused change_type (smaller disk) also restores the power', async (c) => {
  const made = await make(c, 'web-1', { type: 'cx33' });
  await running(c, made.server.id);
  const error = await rejection(
    rescale({ client: c.client, name: 'web-1', type: 'cx23', pollIntervalMs: 5 }),
    HcloudError,
  );
  assert.is(error.code, 'invalid_server_type');
  assert.is(c.fake.servers.get(made.server.id)!.status, 'running');
});

test('every request and answer fits the API description', () => spec.assertNone());

test.run();
