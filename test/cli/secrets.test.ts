// Secret values as the CLI takes them: from a file, the environment or a hidden prompt; never from
// the command line, never a name the config does not have, never printed back.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gatherSecrets } from '../../cli/secrets';
import { rejects } from '../rejects';
import { assertInputFail } from '../rejects';

const tmp = mkdtempSync(join(tmpdir(), 'firstboot-secrets-'));
const console_ = [{ name: 'console', option: 'admin.password' }];
const noTerminal = { prompt: async () => undefined };

test('@FILE without its final line break, env:VAR, and a prompt for what is not given', async () => {
  writeFileSync(join(tmp, 'pw'), 'correct horse battery\n');
  assert.equal(
    [...(await gatherSecrets([`console=@${join(tmp, 'pw')}`], console_, noTerminal))],
    [['console', 'correct horse battery']],
  );
  assert.equal(
    [...(await gatherSecrets(['console=env:PW'], console_, { env: { PW: 'from the environment' } }))],
    [['console', 'from the environment']],
  );
  const asked: string[] = [];
  const prompt = async (question: string) => (asked.push(question), 'typed without echo');
  assert.equal([...(await gatherSecrets([], console_, { prompt }))], [['console', 'typed without echo']]);
  assert.equal(asked, ['secret console for admin.password (input hidden): ']);
  assert.equal([...(await gatherSecrets([], [], noTerminal))], []);
});

test(
  'refused before anything is sent: ' +
    'a value on the command line, an unknown or repeated name, missing, empty or too short',
  async () => {
    const cases: [string[], RegExp][] = [
      [['console=hunter2hunter2'], /takes @FILE or env:VAR, not the value itself/],
      [['tailscale=@x'], /the config names no secret "tailscale" \(it names console\)/],
      [
        ['hunter2hunter2'],
        /--secret takes NAME=@FILE or NAME=env:VAR \(the config names console\); what was given is not shown/,
      ],
      [['console=env:PW', 'console=env:PW'], /given twice/],
      [['console=env:NOPE'], /NOPE is not set/],
      [[`console=@${join(tmp, 'missing')}`], /there is no such file/],
      [['console=env:EMPTY'], /secret console is empty/],
      [['console=env:SHORT'], /at least 12 characters, got 5/],
      [['console=env:LINES'], /no line breaks/],
      [[], /names secret console \(admin.password\) and it is not given: --secret console=@FILE/],
    ];
    const env = { PW: 'long enough password', EMPTY: '', SHORT: 'short', LINES: 'long enough\npassword' };
    for (const [given, message] of cases) {
      const err = await rejects(() => gatherSecrets(given, console_, { env, ...noTerminal }), message);
      assertInputFail(err, given.join(' '));
      assert.not.ok(/hunter2|long enough|short/.test(err.message), `the message shows the value: ${err.message}`);
    }
  },
);

test('the CLI: exit 2 and nothing sent for bad secrets or a bad target; --secret needs create --wait', () => {
  const config = join(tmp, 'firstboot.yaml');
  writeFileSync(
    config,
    `admin:\n  ssh_keys: ` +
      `["${'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINQur/rZ9TBsuK9LDYPMLWxYD15U4YeWKAC2I/kuCgSc demo'}"]\n` +
      `  password: secret:console\n`,
  );
  const firstboot = (...args: string[]) =>
    spawnSync('node', ['dist/firstboot.js', ...args], {
      encoding: 'utf8',
      input: '',
      env: { ...process.env, NO_COLOR: '1', HCLOUD_TOKEN: 'x', FB_PW: 'long enough password' },
    });
  const cases: [string[], RegExp][] = [
    [['apply', 'root@192.0.2.1', '-c', config, '--secret', 'console=hunter2hunter2'], /not the value itself/],
    [['apply', 'root@192.0.2.1', '-c', config], /it is not given/],
    [
      ['apply', 'root@192.0.2.1:99999', '-c', config, '--secret', 'console=env:FB_PW'],
      /the port must be from 1 to 65535/,
    ],
    [['apply', '--check', 'root@192.0.2.1', '-c', config, '--secret', 'console=env:FB_PW'], /--check sends nothing/],
    [['create', 'dev1', '-c', config, '--secret', 'console=env:FB_PW'], /--secret needs --wait/],
    [['create', 'dev1', '-c', config, '--wait'], /it is not given/],
  ];
  for (const [args, message] of cases) {
    const run = firstboot(...args);
    assert.is(run.status, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, message);
    assert.not.match(run.stderr, /hunter2/);
  }
});

test('the config names secrets, never holds them', async () => {
  const { loadConfig } = await import('../../generator/config/load');
  const { secretsOf } = await import('../../generator/config/secrets');
  const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINQur/rZ9TBsuK9LDYPMLWxYD15U4YeWKAC2I/kuCgSc demo';
  const named = await loadConfig({ text: `admin:\n  ssh_keys: ["${key}"]\n  password: secret:console\n` });
  assert.equal(secretsOf(named.config!), [{ name: 'console', option: 'admin.password' }]);
  const plain = await loadConfig({ text: `admin:\n  ssh_keys: ["${key}"]\n  password: hunter2hunter2\n` });
  assert.match(plain.diagnostics[0].message, /a secret's value never sits in the config: write "secret:NAME"/);
  assert.not.match(plain.diagnostics[0].message, /hunter2/);
  const bad = await loadConfig({ text: `admin:\n  ssh_keys: ["${key}"]\n  password: secret:Console\n` });
  assert.match(bad.diagnostics[0].message, /must be a secret's name, "secret:NAME"/);
});

test.run();
