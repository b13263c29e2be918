import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pacer, SSH_LIMIT } from '../../ssh/pace';

/** A clock that only the pacer's sleeps move, and what each connection started at. */
function clock() {
  let t = 1_000_000;
  const slept: number[] = [];
  const pace = pacer(
    () => t,
    async (ms) => {
      slept.push(ms);
      t += ms;
    },
  );
  return { pace, slept, at: () => t, advance: (ms: number) => (t += ms) };
}

test('four connections at once, the fifth when the first is 35 s old: ufw drops a sixth within 30 s', async () => {
  const c = clock();
  const starts: number[] = [];
  for (let i = 0; i < 6; i++) {
    await c.pace('192.0.2.10');
    starts.push(c.at());
    c.advance(2_000); // a login under TCG
  }
  const first = starts[0];
  assert.equal(
    starts.map((s) => s - first),
    [0, 2_000, 4_000, 6_000, 35_000, 37_000],
  );
  // no window of 30 s ever holds more than SSH_LIMIT.connections starts
  for (const s of starts)
    assert.ok(starts.filter((o) => o >= s && o < s + SSH_LIMIT.windowMs).length <= SSH_LIMIT.connections);
});

test('each host has its own count; connections spread out never wait', async () => {
  const c = clock();
  for (let i = 0; i < 4; i++) await c.pace('192.0.2.10');
  await c.pace('web1.example-tailnet.ts.net');
  assert.equal(c.slept, []);
  await c.pace('192.0.2.10');
  assert.equal(c.slept, [SSH_LIMIT.windowMs]);
  for (let i = 0; i < 8; i++) {
    c.advance(9_000);
    await c.pace('198.51.100.7');
  }
  assert.equal(c.slept.length, 1);
});

test('connections asked for at once count each other', async () => {
  const c = clock();
  await Promise.all(Array.from({ length: 5 }, () => c.pace('192.0.2.10')));
  assert.equal(c.slept, [SSH_LIMIT.windowMs]);
});

test.run();
