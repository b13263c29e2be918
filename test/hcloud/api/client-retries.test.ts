// The Hetzner client against the fake API when an answer does not come or says to wait: 429 and its headers,
// 5xx and 423 retried where that is safe, POST not repeated where the server may have acted, dropped
// connections and network errors.
import * as assert from 'uvu/assert';
import { createClient } from '../../../hcloud/api/client';
import { create, fakeAndClient } from '../setup';
import { clientSuite, rejection, waitAfter429 } from './client-setup';

// checked by the last test: see specLedger
const { test, spec } = clientSuite('hcloud client: retries');

test('429: waits as RateLimit-Reset says, then succeeds', async ({ fake, client, waits }) => {
  fake.rateLimitNext(2);
  assert.is((await client.serverTypes.list()).length > 0, true);
  assert.is(waits.length, 2);
  for (const ms of waits) assert.ok(ms >= 1000 && ms <= 2000, `waited ${ms} ms for a reset 2 s ahead`);
  const limited = fake.requests.find((r) => r.status === 429)!;
  assert.ok(limited, 'the fake answered 429');
});

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

test('every request and answer fits the API description', () => spec.assertNone());

test.run();
