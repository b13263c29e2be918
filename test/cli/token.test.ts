import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { activeContextToken, NO_TOKEN, resolveToken } from '../../cli/token';
import { Fail } from '../../contract/fail';

const cliToml = `active_context = "work"

[[contexts]]
  name = "home"
  token = "home-token"

[[contexts]]
  name = 'work'
  token = "work-token"

[preferences]
  name = "not a context"
`;

const noPrompt = async () => undefined;

test('HCLOUD_TOKEN comes first', async () => {
  const token = await resolveToken({ env: { HCLOUD_TOKEN: 'from-env' }, configPath: '/nonexistent', prompt: noPrompt });
  assert.equal(token, { token: 'from-env', source: 'HCLOUD_TOKEN' });
});

test('a token fetch would refuse is refused first, without repeating it', async () => {
  for (const bad of ['sec\nret', 'sec ret', 'sec\0ret']) {
    try {
      await resolveToken({ env: { HCLOUD_TOKEN: bad }, configPath: '/nonexistent', prompt: noPrompt });
      assert.unreachable();
    } catch (error) {
      assert.match((error as Error).message, /character no token has/);
      assert.not.match((error as Error).message, /sec/);
    }
  }
  assert.is((await resolveToken({ env: { HCLOUD_TOKEN: 'pasted\n' }, prompt: noPrompt })).token, 'pasted');
});

test("else the hcloud CLI's active context", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'firstboot-token-'));
  const configPath = join(dir, 'cli.toml');
  await writeFile(configPath, cliToml);
  assert.equal(await resolveToken({ env: {}, configPath, prompt: noPrompt }), {
    token: 'work-token',
    source: `the hcloud CLI's context "work" in ${configPath}`,
  });
  assert.is((await resolveToken({ env: { HCLOUD_CONFIG: configPath }, prompt: noPrompt })).token, 'work-token');
  assert.equal(await resolveToken({ env: { HCLOUD_CONTEXT: 'home' }, configPath, prompt: noPrompt }), {
    token: 'home-token',
    source: `the hcloud CLI's context "home" in ${configPath}`,
  });
});

test('HCLOUD_CONTEXT picks another context, as it does for the CLI', () => {
  assert.is(activeContextToken(cliToml, 'home'), 'home-token');
});

test('no active context, or one without a token, gives nothing', () => {
  assert.is(activeContextToken('[[contexts]]\nname = "a"\ntoken = "t"\n'), undefined);
  assert.is(activeContextToken('active_context = "a"\n[[contexts]]\nname = "a"\n'), undefined);
});

test('else the prompt, and without any of them a clear error', async () => {
  assert.equal(await resolveToken({ env: {}, configPath: '/nonexistent', prompt: async () => 'typed' }), {
    token: 'typed',
    source: 'the prompt',
  });
  try {
    await resolveToken({ env: {}, configPath: '/nonexistent', prompt: noPrompt });
    assert.unreachable();
  } catch (error) {
    assert.instance(error, Fail);
    assert.is((error as Fail).message, NO_TOKEN);
    assert.match((error as Error).message, /HCLOUD_TOKEN/);
  }
});

test.run();
