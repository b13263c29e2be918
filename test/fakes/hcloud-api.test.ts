// What the fake promises beyond the client's view of it: hooks, headers, and the switches tests use.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startFakeHcloud, type FakeServer } from './hcloud-api';
import { parseLabelSelector } from './label-selector';

test('onServerCreated gets the server and the user_data as received', async () => {
  const seen: [FakeServer, string | undefined][] = [];
  const fake = await startFakeHcloud({ onServerCreated: (server, userData) => void seen.push([server, userData]) });
  const response = await fetch(`${fake.url}/servers`, {
    method: 'POST',
    headers: { authorization: `Bearer ${fake.token}` },
    body: JSON.stringify({ name: 'vm', server_type: 'cx23', image: 'debian-12', user_data: 'hello\r\n' }),
  });
  assert.is(response.status, 201);
  await fake.hooksSettled();
  assert.is(seen.length, 1);
  assert.is(seen[0]![0].name, 'vm');
  assert.is(seen[0]![1], 'hello\r\n');
  fake.setServerStatus(seen[0]![0].id, 'off');
  assert.is(fake.servers.get(seen[0]![0].id)!.status, 'off');
  await fake.close();
});

test('every answer carries the rate-limit headers; 429s say nothing is left', async () => {
  const fake = await startFakeHcloud();
  const get = () => fetch(`${fake.url}/locations`, { headers: { authorization: `Bearer ${fake.token}` } });
  const first = await get();
  assert.is(first.headers.get('ratelimit-limit'), '3600');
  assert.is(first.headers.get('ratelimit-remaining'), '3599');
  fake.rateLimitNext(1);
  const limited = await get();
  assert.is(limited.status, 429);
  assert.is(limited.headers.get('ratelimit-remaining'), '0');
  assert.ok(Number(limited.headers.get('ratelimit-reset')) > Date.now() / 1000);
  assert.equal(await limited.json(), {
    error: { code: 'rate_limit_exceeded', message: 'limit of 3600 requests per hour reached', details: null },
  });
  await fake.close();
});

test('label selectors: malformed terms are an error, not a silent match', () => {
  assert.instance(parseLabelSelector('a=b=c'), Error);
  const matches = parseLabelSelector('a==1, b notin (x,y)');
  assert.not.instance(matches, Error);
  const match = matches as (l: Record<string, string>) => boolean;
  assert.is(match({ a: '1', b: 'z' }), true);
  assert.is(match({ a: '1', b: 'x' }), false);
});

test.run();
