import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { generate } from '../../generator/generate';
import { render, SizeError, USER_DATA_LIMIT, PATHS, readPayload } from '../../generator/render';
import { inspect } from '../../generator/inspect';
import { plan } from '../../generator/plan';
import { loadConfig } from '../../generator/config/load';

const DEMO = 'examples/demo_ed25519.pub';
const tmp = mkdtempSync(join(tmpdir(), 'firstboot-render-'));
const golden = (name: string, actual: string) => {
  const file = `test/generator/golden/${name}`;
  if (process.env.UPDATE_GOLDEN || !existsSync(file)) writeFileSync(file, actual);
  assert.fixture(actual, readFileSync(file, 'utf8'));
};

test('the example config renders the golden user-data (with a stand-in payload)', async () => {
  const out = await generate({ config: 'examples/firstboot.yaml', payload: '#!/usr/bin/node\n// firstboot 0.0.0\nconsole.log("stand-in")\n' });
  golden('example.user-data.yaml', out.userData);
  golden('example.plan.json', JSON.stringify(out.plan, null, 2) + '\n');
});

test('identical input gives byte-identical output', async () => {
  const a = await generate({ sshKeys: [DEMO] });
  const b = await generate({ sshKeys: [DEMO] });
  assert.is(a.userData, b.userData);
});

test("cloud-init's own schema check accepts what we generate", async () => {
  const out = await generate({ config: 'examples/firstboot.yaml' });
  const file = join(tmp, 'user-data.yaml');
  writeFileSync(file, out.userData);
  const run = spawnSync('cloud-init', ['schema', '-c', file], { encoding: 'utf8' });
  assert.is(run.status, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /Valid cloud-config/);
});

test('the prepare script unpacks exactly the bundle that was built', async () => {
  const out = await generate({ sshKeys: [DEMO] });
  const doc = yaml.load(out.userData) as { write_files: { path: string; content: string }[] };
  const file = (path: string) => doc.write_files.find((f) => f.path === path)!.content;
  const packed = join(tmp, 'firstboot.br85');
  writeFileSync(packed, file(PATHS.payload));
  // the script's own node program, run as the server will run it
  const program = file(PATHS.prepare).match(/node -e '([^']*)'/)![1];
  execFileSync('node', ['-e', program, packed, join(tmp, 'firstboot')]);
  assert.ok(readFileSync(join(tmp, 'firstboot')).equals(readFileSync('dist/payload.cjs')));
  assert.is(statSync(join(tmp, 'firstboot')).mode & 0o777, 0o700);
});

test('a host key in the user-data is a secret: cloud-init installs it and the plan shuts non-root out of metadata', async () => {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', join(tmp, 'host')]);
  const hostKey = { private: readFileSync(join(tmp, 'host'), 'utf8'), public: readFileSync(join(tmp, 'host.pub'), 'utf8').trim() };
  const out = await generate({ sshKeys: [DEMO], hostKey });
  const doc = yaml.load(out.userData) as { ssh_keys: Record<string, string> };
  assert.is(doc.ssh_keys.ed25519_private, hostKey.private);
  assert.is(doc.ssh_keys.ed25519_public, hostKey.public);
  assert.equal(out.plan.steps.slice(0, 2).map((s) => s.id), ['packages', 'metadata']);
  assert.ok((out.plan.steps[0] as { install: string[] }).install.includes('iptables'));
  const file = join(tmp, 'secret.yaml');
  writeFileSync(file, out.userData);
  assert.is(spawnSync('cloud-init', ['schema', '-c', file]).status, 0);
  // without a secret there is nothing to hide
  assert.not.ok((await generate({ sshKeys: [DEMO] })).plan.steps.some((s) => s.id === 'metadata'));
});

test('the rendered prepare script passes shellcheck', async () => {
  const out = await generate({ sshKeys: [DEMO] });
  const doc = yaml.load(out.userData) as { write_files: { path: string; content: string }[] };
  const script = join(tmp, 'prepare');
  writeFileSync(script, doc.write_files.find((f) => f.path === PATHS.prepare)!.content);
  const run = spawnSync('shellcheck', [script], { encoding: 'utf8' });
  assert.is(run.status, 0, run.stdout);
});

test('inspect reads back the plan, the payload version and the parts', async () => {
  const out = await generate({ config: 'examples/firstboot.yaml' });
  const found = inspect(out.userData);
  assert.equal(found.plan, out.plan);
  assert.is(found.payloadVersion, JSON.parse(readFileSync('package.json', 'utf8')).version);
  assert.equal(found.parts, out.parts);
  assert.is(found.characters, out.userData.length);
});

test('the default config with every capability fits Hetzner’s limit', async () => {
  const out = await generate({ sshKeys: [DEMO] });
  assert.ok(out.userData.length <= USER_DATA_LIMIT, `${out.userData.length} characters`);
  assert.is(out.parts.reduce((sum, p) => sum + p.bytes, 0), out.userData.length);
});

test('the size gate refuses more than 32,768 characters, naming each part', async () => {
  const { config } = await loadConfig({ sshKeys: [DEMO] });
  const usual = render(plan(config!), { payload: readPayload() }).parts[1].bytes;
  const big = plan({ ...config!, packages: Array.from({ length: 3000 }, (_, i) => `package-number-${i}`) });
  try {
    render(big, { payload: readPayload() });
    assert.unreachable('rendered');
  } catch (err) {
    assert.instance(err, SizeError);
    const { parts, characters } = err as SizeError;
    assert.ok(characters > USER_DATA_LIMIT);
    assert.equal(parts.map((p) => p.name), ['payload', 'plan', 'unit and prepare script', 'cloud-config around them']);
    assert.ok(parts[1].bytes > 4 * usual, `the plan is what grew: ${parts[1].bytes} characters, usually ${usual}`);
  }
});

test.run();
