import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { HcloudError } from '../../hcloud/errors';
import { createClient } from '../../hcloud/client';
import { specLedger } from '../fakes/openapi-check';

import { create, fakeAndClient } from './setup';

// checked by the last test: see specLedger
const spec = specLedger();

type Context = Awaited<ReturnType<typeof fakeAndClient>>;
const test = suite<Context>('hcloud client');

test.before.each(async (context) => {
  Object.assign(context, await fakeAndClient());
});
test.after.each(async ({ fake }) => {
  await fake.close();
  // Requests answered by an injected failure never reached a route; the rest must fit the API.
  spec.record(fake.requests, (r) => r.status === 401);
});

async function rejection(promise: Promise<unknown>): Promise<HcloudError> {
  try {
    await promise;
  } catch (error) {
    assert.instance(error, HcloudError);
    return error as HcloudError;
  }
  throw new Error('expected a rejection');
}

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

test('429: waits as RateLimit-Reset says, then succeeds', async ({ fake, client, waits }) => {
  fake.rateLimitNext(2);
  assert.is((await client.serverTypes.list()).length > 0, true);
  assert.is(waits.length, 2);
  for (const ms of waits) assert.ok(ms >= 1000 && ms <= 2000, `waited ${ms} ms for a reset 2 s ahead`);
  const limited = fake.requests.find((r) => r.status === 429)!;
  assert.ok(limited, 'the fake answered 429');
});

/** How long the client waits after one 429 with these headers, then a good answer. */
async function waitAfter429(headers: Record<string, string>): Promise<number[]> {
  const waits: number[] = [];
  let calls = 0;
  const client = createClient({
    token: 't',
    endpoint: 'http://unused.invalid/v1',
    sleep: async (ms) => void waits.push(ms),
    fetch: async () =>
      ++calls === 1
        ? new Response('{"error":{"code":"rate_limit_exceeded","message":"slow down"}}', { status: 429, headers })
        : Response.json({
            locations: [],
            meta: {
              pagination: {
                page: 1,
                per_page: 50,
                next_page: null,
                previous_page: null,
                last_page: 1,
                total_entries: 0,
              },
            },
          }),
  });
  await client.locations.list();
  return waits;
}

test('429: Retry-After wins over RateLimit-Reset', async () => {
  assert.equal(await waitAfter429({ 'retry-after': '7', 'ratelimit-reset': '1' }), [7000]);
});

test('429 that never ends: gives up after the bounded retries with rate_limit_exceeded', async ({
  fake,
  client,
  waits,
}) => {
  fake.rateLimitNext(100);
  const error = await rejection(client.locations.list());
  assert.is(error.status, 429);
  assert.is(error.code, 'rate_limit_exceeded');
  assert.is(waits.length, 5);
});

test('transient 5xx on GET: retried with growing backoff', async ({ fake, client, waits }) => {
  fake.failNextRequest({ method: 'GET', status: 503, code: 'service_unavailable', times: 3 });
  assert.ok((await client.locations.list()).length > 0);
  assert.equal(waits, [500, 1000, 2000]);
});

test('429: a RateLimit-Reset in the past waits a second, a Retry-After over the cap waits a minute', async () => {
  assert.equal(await waitAfter429({ 'ratelimit-reset': String(Math.floor(Date.now() / 1000) - 30) }), [1000]);
  assert.equal(await waitAfter429({ 'retry-after': '3600' }), [60_000]);
});

test('500 and 504 on GET are retried; on POST they are not, since the server may have acted', async ({
  fake,
  client,
  waits,
}) => {
  for (const status of [500, 504]) {
    fake.failNextRequest({ method: 'GET', status, code: 'server_error', times: 2 });
    assert.ok((await client.locations.list()).length > 0, `GET after ${status}`);
    fake.failNextRequest({ method: 'POST', status, code: 'server_error' });
    const error = await rejection(client.servers.create({ ...create, name: `after-${status}` }));
    assert.is(error.status, status);
  }
  assert.equal(waits, [500, 1000, 500, 1000]);
  assert.is(fake.requests.filter((r) => r.method === 'POST').length, 2);
});

test('423 locked: an action on a busy server is sent again until the running action ends', async ({ fake, client }) => {
  // right after create, the server's own start still runs: Hetzner answers 423 locked, as the fake does
  const { server } = await client.servers.create(create);
  const raw = await fetch(`${fake.url}/servers/${server.id}/actions/poweroff`, {
    method: 'POST',
    headers: { authorization: `Bearer ${fake.token}` },
  });
  assert.is(raw.status, 423);
  assert.is((await raw.json()).error.code, 'locked');
  await client.waitForAction(await client.servers.powerOff(server.id));
  assert.is(fake.servers.get(server.id)?.status, 'off');
  // a snapshot asked for while a power-on runs waits its turn the same way
  const start = await client.servers.powerOn(server.id);
  const image = await client.servers.createImage(server.id, { type: 'snapshot', description: 'taken while starting' });
  await client.waitForAction(image.action);
  await client.waitForAction(start);
  const sentAgain = (path: string) => fake.requests.filter((r) => r.path.endsWith(path)).map((r) => r.status);
  assert.is(sentAgain('/create_image').at(-1), 201);
  assert.ok(sentAgain('/create_image').includes(423), 'the snapshot met the lock');
  assert.ok(sentAgain('/poweroff').filter((st) => st === 423).length >= 2, 'the client met the lock too');
});

test('a dropped connection on GET is retried, and each retry is told (the CLI prints it on stderr)', async () => {
  const heard: string[] = [];
  const { fake, client } = await fakeAndClient({}, { onRetry: (m) => heard.push(m) });
  try {
    fake.failNextRequest({ method: 'GET', path: /^\/servers$/, drop: true });
    fake.failNextRequest({ method: 'GET', path: /^\/servers$/, status: 503, code: 'unavailable' });
    assert.equal(await client.servers.list(), []);
    assert.is(heard.length, 2);
    assert.match(heard[0], /^GET \/servers: no answer \(.+\); trying again in 1 s$/);
    assert.is(heard[1], 'GET /servers: answered 503; trying again in 1 s');
  } finally {
    await fake.close();
  }
});

test('POST is not repeated after a 500 or a lost answer: it may have acted', async ({ fake, client }) => {
  fake.failNextRequest({ method: 'POST', status: 500, code: 'server_error', message: 'boom' });
  const error = await rejection(client.servers.create(create));
  assert.is(error.status, 500);
  assert.is(error.code, 'server_error');
  fake.failNextRequest({ method: 'POST', drop: true });
  const lost = await rejection(client.servers.create(create));
  assert.is(lost.code, 'network_error');
  assert.is(fake.requests.filter((r) => r.method === 'POST').length, 2);
});

test('POST is repeated after 503, which Hetzner sends before doing anything', async ({ fake, client }) => {
  fake.failNextRequest({ method: 'POST', status: 503, code: 'unavailable' });
  const { server } = await client.servers.create(create);
  assert.is(fake.servers.get(server.id)?.name, 'web-1');
});

test('a refused token: the error says where the token came from', async ({ fake }) => {
  const client = createClient({ token: 'wrong', tokenSource: 'HCLOUD_TOKEN', endpoint: fake.url });
  const error = await rejection(client.servers.list());
  assert.is(error.status, 401);
  assert.is(error.message, 'unable to authenticate (the token came from HCLOUD_TOKEN)');
});

test('a network error names the endpoint and the cause, not just "fetch failed"', async () => {
  const client = createClient({
    token: 't',
    endpoint: 'http://api.example.invalid/v1',
    maxRetries: 0,
    fetch: async () => {
      throw new TypeError('fetch failed', { cause: new Error('getaddrinfo ENOTFOUND api.example.invalid') });
    },
  });
  const error = await rejection(client.servers.get(1));
  assert.is(error.code, 'network_error');
  assert.is(error.message, 'GET http://api.example.invalid/v1/servers/1: getaddrinfo ENOTFOUND api.example.invalid');
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
