// The size gate: the default config with every capability fits Hetzner's 32,768 bytes of user-data, and more
// is refused naming what each part costs, counted in UTF-8 bytes as Hetzner counts them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { generate } from '../../generator/generate';
import { assemble, render, SizeError, USER_DATA_LIMIT, readPayload } from '../../generator/render';
import { plan } from '../../generator/plan';
import { loadConfig } from '../../generator/config/load';
import { demoKeyFile as DEMO } from './config-setup';

test('the default config with every capability fits Hetzner’s limit', async () => {
  const out = await generate({ sshKeys: [DEMO] });
  const bytes = Buffer.byteLength(out.userData);
  assert.ok(bytes <= USER_DATA_LIMIT, `${bytes} bytes`);
  assert.is(
    out.parts.reduce((sum, p) => sum + p.bytes, 0),
    bytes,
  );
});

test('the size gate refuses more than 32,768 bytes, naming each part', async () => {
  const { config } = await loadConfig({ sshKeys: [DEMO] });
  const usual = render(plan(config!), { payload: readPayload() }).parts[0].bytes;
  // names that do not compress away: the plan is packed with the payload
  const big = plan({
    ...config!,
    packages: Array.from(
      { length: 3000 },
      (_, i) => `p${createHash('sha256').update(String(i)).digest('hex').slice(0, 20)}`,
    ),
  });
  try {
    render(big, { payload: readPayload() });
    assert.unreachable('rendered');
  } catch (err) {
    assert.instance(err, SizeError);
    const { parts, bytes } = err as SizeError;
    assert.ok(bytes > USER_DATA_LIMIT);
    assert.equal(
      parts.map((p) => p.name),
      ['plan and payload', 'unit and prepare script', 'cloud-config around them'],
    );
    assert.ok(parts[0].bytes > 2 * usual, `the plan is what grew: ${parts[0].bytes} bytes, usually ${usual}`);
  }
});

test('the gate counts UTF-8 bytes, as Hetzner does, not characters', async () => {
  const { config } = await loadConfig({ sshKeys: [DEMO] });
  const p = plan(config!, { secrets: true });
  const hostKey = (comment: string) => ({
    private: 'stand-in',
    public: `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKsZUASajQx5zSFSpZCqIEX8bxGiEpO+n9v8COQKQH/g ${comment}`,
  });
  const base = Buffer.byteLength(render(p, { hostKey: hostKey('') }).userData);
  // the public key's comment stands in the user-data as it is: two bytes a character here
  const comment = 'é'.repeat(Math.floor((USER_DATA_LIMIT - base) * 0.9));
  const userData = assemble(p, { hostKey: hostKey(comment) }).userData;
  assert.ok(userData.length <= USER_DATA_LIMIT, 'the characters fit');
  assert.throws(
    () => render(p, { hostKey: hostKey(comment) }),
    (err: unknown) => err instanceof SizeError && err.bytes === Buffer.byteLength(userData),
  );
});

test.run();
