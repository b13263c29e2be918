// The Hetzner client against the fake API: servers and their actions, images, SSH keys, firewalls, lists
// across pages and label selectors, and Hetzner's errors as HcloudError. Retries are in client-retries.test.ts.
import * as assert from 'uvu/assert';
import { createClient } from '../../../hcloud/api/client';
import { create } from '../setup';
import { clientSuite, rejection } from './client-setup';

// checked by the last test: see specLedger
const { test, spec } = clientSuite('hcloud client');

test('creates a server, sends the bearer token and user_data, and waits for it to run', async ({ fake, client }) => {
  const progress: number[] = [];
  const created = await client.servers.create({ ...create, user_data: '#cloud-config\n', labels: { role: 'web' } });
  assert.is(created.server.status, 'initializing');
  assert.match(created.server.public_net.ipv4!.ip, /^192\.0\.2\./);
  assert.match(created.server.public_net.ipv6!.ip, /^2001:db8:/);
  await client.waitForAction(created.action, { onProgress: (a) => progress.push(a.progress) });
  for (const next of created.next_actions) await client.waitForAction(next);
  assert.is((await client.servers.get(created.server.id)).status, 'running');
  assert.is(progress.at(-1), 100);
  assert.ok(progress.length >= 2, 'progress reported while running');
  assert.is(fake.requests[0]!.headers.authorization, `Bearer ${fake.token}`);
  assert.is(fake.servers.get(created.server.id)!.userData, '#cloud-config\n');
});

test('power actions move the server through off and running', async ({ client }) => {
  const { server, action, next_actions } = await client.servers.create(create);
  await client.waitForAction(action);
  await client.waitForAction(next_actions[0]!);
  await client.waitForAction(await client.servers.powerOff(server.id));
  assert.is((await client.servers.get(server.id)).status, 'off');
  await client.waitForAction(await client.servers.changeType(server.id, { server_type: 'cx33', upgrade_disk: false }));
  assert.is((await client.servers.get(server.id)).server_type.name, 'cx33');
  await client.waitForAction(await client.servers.powerOn(server.id));
  assert.is((await client.servers.get(server.id)).status, 'running');
  await client.waitForAction(await client.servers.shutdown(server.id));
  assert.is((await client.servers.get(server.id)).status, 'off');
});

test('create_image returns a snapshot that becomes available', async ({ client }) => {
  const { server, action } = await client.servers.create({ ...create, start_after_create: false });
  await client.waitForAction(action);
  const made = await client.servers.createImage(server.id, {
    type: 'snapshot',
    description: 'golden',
    labels: { 'firstboot-config': 'abc' },
  });
  assert.is(made.image.status, 'creating');
  await client.waitForAction(made.action);
  const image = await client.images.get(made.image.id);
  assert.is(image.status, 'available');
  assert.equal(image.labels, { 'firstboot-config': 'abc' });
  const snapshots = await client.images.list({ type: 'snapshot', label_selector: 'firstboot-config' });
  assert.equal(
    snapshots.map((i) => i.id),
    [image.id],
  );
});

test('a failed action throws with its error code and message', async ({ fake, client }) => {
  const { server, action } = await client.servers.create({ ...create, start_after_create: false });
  await client.waitForAction(action);
  fake.failNextAction('create_image', { code: 'image_failed', message: 'disk could not be read' });
  const { action: imageAction, image } = await client.servers.createImage(server.id, {});
  const error = await rejection(client.waitForAction(imageAction));
  assert.is(error.code, 'image_failed');
  assert.match(error.message, /disk could not be read/);
  assert.is(error.action?.id, imageAction.id);
  assert.is(fake.images.has(image.id), false, 'a failed snapshot leaves no image behind');
});

test('waiting gives up after the timeout', async ({ client }) => {
  const { action } = await client.servers.create(create);
  const error = await rejection(client.waitForAction(action, { timeoutMs: -1 }));
  assert.is(error.code, 'timeout');
});

test('waitForAction takes an id too', async ({ client }) => {
  const { action } = await client.servers.create(create);
  assert.is((await client.waitForAction(action.id)).status, 'success');
});

test('lists follow next_page across pages', async ({ fake, client }) => {
  for (let i = 0; i < 120; i++) fake.addSshKey(`key-${i}`, `ssh-ed25519 ${Buffer.from(`key ${i}`).toString('base64')}`);
  const keys = await client.sshKeys.list();
  assert.is(keys.length, 120);
  assert.is(new Set(keys.map((k) => k.id)).size, 120);
  assert.equal(
    fake.requests.map((r) => r.query.get('page')),
    ['1', '2', '3'],
  );
});

test('label selectors filter servers: key, key=value, key!=value', async ({ client }) => {
  await client.servers.create({ ...create, name: 'a', labels: { 'firstboot-version': '1', role: 'web' } });
  await client.servers.create({ ...create, name: 'b', labels: { 'firstboot-version': '1', role: 'db' } });
  await client.servers.create({ ...create, name: 'c', labels: {} });
  const names = async (label_selector: string) => (await client.servers.list({ label_selector })).map((s) => s.name);
  assert.equal(await names('firstboot-version'), ['a', 'b']);
  assert.equal(await names('role=db'), ['b']);
  assert.equal(await names('firstboot-version,role!=db'), ['a']);
  assert.equal(await names('!firstboot-version'), ['c']);
  assert.equal(await names('role in (web,db)'), ['a', 'b']);
});

test('ssh keys: create, find by fingerprint, and 409 on a duplicate', async ({ client }) => {
  const publicKey = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHxY6bM3E0dYk3r2pM6m0+3q3iCJXzKf1nU5sS7nH0aB me@laptop';
  const key = await client.sshKeys.create({ name: 'me', public_key: publicKey });
  assert.match(key.fingerprint, /^([0-9a-f]{2}:){15}[0-9a-f]{2}$/);
  assert.equal(
    (await client.sshKeys.list({ fingerprint: key.fingerprint })).map((k) => k.id),
    [key.id],
  );
  const byName = await rejection(client.sshKeys.create({ name: 'me', public_key: publicKey.replace('H0aB', 'H0aC') }));
  assert.is(byName.status, 409);
  assert.is(byName.code, 'uniqueness_error');
  const byFingerprint = await rejection(client.sshKeys.create({ name: 'other', public_key: publicKey }));
  assert.is(byFingerprint.code, 'uniqueness_error');
});

test('401 without the right token, in Hetzner format', async ({ fake }) => {
  const client = createClient({ token: 'wrong', endpoint: fake.url });
  const error = await rejection(client.servers.list());
  assert.is(error.status, 401);
  assert.is(error.code, 'unauthorized');
  assert.not.match(error.message, /wrong/, 'the token never appears in messages');
});

test('404 for a server that does not exist', async ({ client }) => {
  const error = await rejection(client.servers.get(424242));
  assert.is(error.status, 404);
  assert.is(error.code, 'not_found');
});

test('409 uniqueness_error for a duplicate server name', async ({ client }) => {
  await client.servers.create(create);
  const error = await rejection(client.servers.create(create));
  assert.is(error.status, 409);
  assert.is(error.code, 'uniqueness_error');
});

test('422 invalid_input: user_data over 32,768 UTF-8 bytes, unknown type, location, image', async ({
  fake,
  client,
}) => {
  const tooLong = await rejection(client.servers.create({ ...create, user_data: 'x'.repeat(32_769) }));
  assert.is(tooLong.status, 422);
  assert.is(tooLong.code, 'invalid_input');
  assert.equal(tooLong.details, { fields: [{ name: 'user_data', messages: ['Longer than maximum length 32768.'] }] });
  const wide = await rejection(client.servers.create({ ...create, user_data: 'é'.repeat(16_385) }));
  assert.is(wide.code, 'invalid_input', '16,385 characters of two bytes each');
  await client.servers.create({ ...create, name: 'exactly-at-the-limit', user_data: 'é'.repeat(16_384) });
  for (const wrong of [{ server_type: 'cx99' }, { location: 'mars1' }, { image: 'windows-95' }]) {
    const error = await rejection(client.servers.create({ ...create, ...wrong }));
    assert.is(error.code, 'invalid_input', JSON.stringify(wrong));
  }
  assert.is(fake.servers.size, 1);
});

test('changing the type of a running server is refused with server_not_stopped', async ({ client }) => {
  const { server } = await client.servers.create(create);
  const error = await rejection(client.servers.changeType(server.id, { server_type: 'cx33', upgrade_disk: false }));
  assert.is(error.code, 'server_not_stopped');
});

test('a refused token: the error says where the token came from', async ({ fake }) => {
  const client = createClient({ token: 'wrong', tokenSource: 'HCLOUD_TOKEN', endpoint: fake.url });
  const error = await rejection(client.servers.list());
  assert.is(error.status, 401);
  assert.is(error.message, 'unable to authenticate (the token came from HCLOUD_TOKEN)');
});

test('an answer that is not Hetzner JSON still becomes an HcloudError', async () => {
  const client = createClient({
    token: 't',
    endpoint: 'http://unused.invalid/v1',
    maxRetries: 0,
    fetch: async () => new Response('<html>bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }),
  });
  const error = await rejection(client.servers.get(1));
  assert.is(error.status, 502);
  assert.is(error.code, 'http_502');
});

test('firewalls: created with rules and applied to a server, then deleted', async ({ client }) => {
  const { server } = await client.servers.create(create);
  const { firewall, actions } = await client.firewalls.create({
    name: 'web-1',
    rules: [{ direction: 'in', protocol: 'tcp', port: '22', source_ips: ['0.0.0.0/0', '::/0'] }],
    apply_to: [{ type: 'server', server: { id: server.id } }],
  });
  for (const action of actions) await client.waitForAction(action);
  assert.equal((await client.servers.get(server.id)).public_net.firewalls, [{ id: firewall.id, status: 'applied' }]);
  await client.waitForAction(await client.servers.delete(server.id));
  await client.firewalls.delete(firewall.id);
  assert.equal(await client.servers.list(), []);
});

test('server types, locations and images are listed', async ({ client }) => {
  const types = await client.serverTypes.list();
  assert.ok(types.some((t) => t.name === 'cax11' && t.architecture === 'arm'));
  assert.ok((await client.locations.list()).some((l) => l.name === 'fsn1'));
  const ubuntu = await client.images.list({ name: 'ubuntu-24.04', architecture: 'arm' });
  assert.equal(
    ubuntu.map((i) => i.architecture),
    ['arm'],
  );
});

test('every request and answer fits the API description', () => spec.assertNone());

test.run();
