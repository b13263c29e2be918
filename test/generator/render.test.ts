import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
  existsSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import yaml from 'js-yaml';
import { generate } from '../../generator/generate';
import { render, readPayload } from '../../generator/render';
import { SERVER_PATHS } from '../../contract/paths';
import { inspect } from '../../generator/inspect';
import { plan } from '../../generator/plan';
import { loadConfig } from '../../generator/config/load';
import { standInPayload } from '../payload-stand-in';
import { needs } from '../needs';
import type { Plan } from '../../contract/plan';
import { DEVTOOLS_PINS } from '../../contract/devtools-pins';
import pins from '../../generator/pins.json' with { type: 'json' };

const DEMO = 'examples/demo_ed25519.pub';
const tmp = mkdtempSync(join(tmpdir(), 'firstboot-render-'));
const golden = (name: string, actual: string) => {
  const file = `test/generator/golden/${name}`;
  // golden files change only on purpose: npm run golden
  if (process.env.UPDATE_GOLDEN) writeFileSync(file, actual);
  assert.fixture(actual, readFileSync(file, 'utf8'));
};

test('the example config renders the golden user-data (with a stand-in payload)', async () => {
  const out = await generate({ config: 'examples/firstboot.yaml', payload: standInPayload });
  golden('example.user-data.yaml', out.userData);
  golden('example.plan.json', JSON.stringify(out.plan, null, 2) + '\n');
});

test('identical input gives byte-identical output', async () => {
  const a = await generate({ sshKeys: [DEMO] });
  const b = await generate({ sshKeys: [DEMO] });
  assert.is(a.userData, b.userData);
});

test("cloud-init's own schema check accepts what we generate", async () => {
  needs('cloud-init', 'cloud-init');
  const out = await generate({ config: 'examples/firstboot.yaml' });
  const file = join(tmp, 'user-data.yaml');
  writeFileSync(file, out.userData);
  const run = spawnSync('cloud-init', ['schema', '-c', file], { encoding: 'utf8' });
  assert.is(run.status, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /Valid cloud-config/);
});

/** What the server has after prepare: the user-data's packed payload, unpacked by prepare's own node program. */
function unpack(userData: string, name: string): string {
  const doc = yaml.load(userData) as { write_files: { path: string; content: string }[] };
  const file = (path: string) => doc.write_files.find((f) => f.path === path)!.content;
  const packed = join(tmp, `${name}.br94`);
  writeFileSync(packed, file(SERVER_PATHS.packed));
  const program = file(SERVER_PATHS.prepare).match(/node -e '([^']+)' \$lib/)![1];
  const dir = join(tmp, name, 'payload');
  execFileSync('node', ['-e', program, packed, dir, join(tmp, name, 'plan.json')]);
  // zx as the server's fetch leaves it: in node_modules beside the payload
  if (!existsSync(join(tmp, name, 'node_modules')))
    symlinkSync(resolve('node_modules'), join(tmp, name, 'node_modules'));
  return dir;
}

const filesIn = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();

test('the prepare script unpacks the plan and exactly the pieces it needs, root-only', async () => {
  const out = await generate({ sshKeys: [DEMO] });
  const dir = unpack(out.userData, 'defaults');
  assert.equal(JSON.parse(readFileSync(join(tmp, 'defaults', 'plan.json'), 'utf8')), out.plan);
  assert.is(statSync(join(tmp, 'defaults', 'plan.json')).mode & 0o777, 0o600);
  const built = readPayload();
  const wanted = new Set([...built.pieces.main, ...out.plan.steps.flatMap((s) => built.pieces[s.id])]);
  assert.equal(filesIn(dir), ['.build', ...wanted].sort());
  for (const name of wanted) assert.is(readFileSync(join(dir, name), 'utf8'), built.files[name], name);
  assert.is(statSync(join(dir, 'main.mjs')).mode & 0o777, 0o600);
  assert.is(statSync(join(dir, 'steps')).mode & 0o777, 0o700);
  const version = spawnSync('node', [join(dir, 'main.mjs'), '--version'], { encoding: 'utf8' });
  assert.is(version.stdout.trim(), JSON.parse(readFileSync('package.json', 'utf8')).version, version.stderr);
});

test('prepare keeps a plan that is already there: a server from a firstboot image has its own', async () => {
  const image = await generate({ sshKeys: [DEMO], mode: 'image' });
  mkdirSync(join(tmp, 'from-image'));
  writeFileSync(join(tmp, 'from-image', 'plan.json'), '{"the instance plan":1}\n');
  const dir = unpack(image.userData, 'from-image');
  assert.is(readFileSync(join(tmp, 'from-image', 'plan.json'), 'utf8'), '{"the instance plan":1}\n');
  assert.ok(existsSync(join(dir, 'image.mjs')), 'image mode ships its clean-up');
  assert.not.ok(
    existsSync(join(unpack((await generate({ sshKeys: [DEMO] })).userData, 'boot-mode'), 'image.mjs')),
    'boot mode does not',
  );
});

test(
  'prepare again on the same build keeps the pieces fetched for it (a reboot, ' +
    'a server from an image); another build starts afresh',
  async () => {
    const first = await generate({ sshKeys: [DEMO], piecesFrom: 'npm' });
    const dir = unpack(first.userData, 'same-build');
    writeFileSync(join(dir, 'steps', 'fail2ban.mjs'), 'fetched\n');
    unpack(first.userData, 'same-build');
    assert.is(readFileSync(join(dir, 'steps', 'fail2ban.mjs'), 'utf8'), 'fetched\n');
    const built = readPayload();
    const other = render(first.plan, {
      payload: { ...built, files: { ...built.files, 'main.mjs': built.files['main.mjs'] + ';' } },
    });
    unpack(other.userData, 'same-build');
    assert.not.ok(existsSync(join(dir, 'steps', 'fail2ban.mjs')), 'a piece of another build is gone');
    assert.ok(readFileSync(join(dir, 'main.mjs'), 'utf8').endsWith(';'));
  },
);

/** What a step's code always holds, and no other piece does. */
const MARKERS: Record<'fail2ban' | 'audit' | 'sysctl' | 'upgrades', string> = {
  fail2ban: 'fail2ban-client',
  audit: 'augenrules',
  sysctl: 'systemd-sysctl',
  upgrades: 'Unattended-Upgrade::',
};

test('a capability the config turns off costs nothing: its code is not in the user-data', async () => {
  const off =
    'fail2ban: {enabled: false}\naudit: {enabled: false}\nsysctl: {enabled: false}\nupgrades: {enabled: false}\n';
  const { config } = await loadConfig({ text: off, sshKeys: [DEMO] });
  const lean = unpack(render(plan(config!)).userData, 'lean');
  const all = unpack((await generate({ sshKeys: [DEMO] })).userData, 'all');
  const text = (dir: string) =>
    filesIn(dir)
      .map((name) => readFileSync(join(dir, name), 'utf8'))
      .join('\n');
  for (const id of ['fail2ban', 'audit', 'sysctl', 'upgrades'] as const) {
    assert.ok(text(all).includes(MARKERS[id]), `${id}'s marker is in the full payload`);
    assert.not.ok(text(lean).includes(MARKERS[id]), `${id} is off, yet "${MARKERS[id]}" is in the payload`);
    assert.not.ok(existsSync(join(lean, 'steps', `${id}.mjs`)));
  }
});

test(
  "the devtools step's pins and the audit step's rules " + "travel in that step's own code, and in no other piece",
  () => {
    const built = readPayload();
    const text = (names: string[]) => names.map((name) => built.files[name]).join('\n');
    const carried = {
      devtools: [
        DEVTOOLS_PINS.claude.x64.integrity,
        DEVTOOLS_PINS.claude.arm64.integrity,
        DEVTOOLS_PINS.context7.digest,
        DEVTOOLS_PINS.context7.packages.at(-1)!,
        DEVTOOLS_PINS.gsd.digest,
        // GSD's installer, run from its tree: the devtools step's alone
        'bin/install.js',
      ],
      // the rules as the minified code builds them: their paths, keys and filters
      audit: ['/etc/security/opasswd', 'audit-config', ' -F auid>=1000 -F auid!=unset'],
    };
    for (const [id, data] of Object.entries(carried)) {
      const own = new Set(built.pieces[id].filter((name) => !built.pieces.main.includes(name)));
      const others = Object.keys(built.files).filter((name) => !own.has(name) && name !== 'pieces.json');
      for (const item of data) {
        assert.ok(text([...own]).includes(item), `${item} is not in the ${id} step's code`);
        assert.not.ok(text(others).includes(item), `${item} is in another piece`);
      }
    }
    // each tree's tarballs' own sha512 is for a mirror (generator/pins.json): the server needs only the tree's digest
    const devtools = text(built.pieces.devtools);
    for (const tree of [pins.context7.tree, pins.gsd.tree])
      assert.not.ok(tree.some((tarball) => devtools.includes(tarball.integrity)));
  },
);

test('any subset of capabilities runs: each step the plan has loads from what was unpacked', async () => {
  const built = readPayload();
  const optional = ['metadata', 'hostname', 'fail2ban', 'audit', 'sysctl', 'upgrades', 'extras'] as const;
  const { config } = await loadConfig({ text: 'hostname: dev1\npackages: [htop]\n', sshKeys: [DEMO] });
  const full = plan(config!, { secrets: true });
  for (const keep of [[], ...optional.map((id) => [id])]) {
    const subset: Plan = {
      ...full,
      steps: full.steps.filter(
        (s) => !(optional as readonly string[]).includes(s.id) || (keep as string[]).includes(s.id),
      ),
    };
    const dir = unpack(render(subset, { payload: built }).userData, `subset-${keep.join('') || 'core'}`);
    const ids = subset.steps.map((s) => s.id);
    const probe = `const ids = ${JSON.stringify(ids)}; const out = [];
for (const id of ids) { const m = await import(${JSON.stringify(dir)} + '/steps/' + id + '.mjs'); \
out.push(Object.values(m).find((s) => s && s.id === id)?.id); }
console.log(JSON.stringify(out));`;
    const run = spawnSync('node', ['--input-type=module', '-e', probe], { encoding: 'utf8' });
    assert.is(run.status, 0, `${keep.join(',') || 'core'}: ${run.stderr}`);
    assert.equal(JSON.parse(run.stdout), ids);
  }
});

test(
  'a host key in the user-data is a secret: ' + 'cloud-init installs it and the plan shuts non-root out of metadata',
  async () => {
    needs('ssh-keygen', 'openssh-client');
    needs('cloud-init', 'cloud-init');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', join(tmp, 'host')]);
    const hostKey = {
      private: readFileSync(join(tmp, 'host'), 'utf8'),
      public: readFileSync(join(tmp, 'host.pub'), 'utf8').trim(),
    };
    const out = await generate({ sshKeys: [DEMO], hostKey });
    const doc = yaml.load(out.userData) as { ssh_keys: Record<string, string> };
    assert.is(doc.ssh_keys.ed25519_private, hostKey.private);
    assert.is(doc.ssh_keys.ed25519_public, hostKey.public);
    assert.equal(
      out.plan.steps.slice(0, 2).map((s) => s.id),
      ['packages', 'metadata'],
    );
    assert.ok((out.plan.steps[0] as { install: string[] }).install.includes('iptables'));
    const file = join(tmp, 'secret.yaml');
    writeFileSync(file, out.userData);
    assert.is(spawnSync('cloud-init', ['schema', '-c', file]).status, 0);
    // without a secret there is nothing to hide
    assert.not.ok((await generate({ sshKeys: [DEMO] })).plan.steps.some((s) => s.id === 'metadata'));
  },
);

test('the rendered prepare script passes shellcheck', async () => {
  needs('shellcheck', 'shellcheck');
  const out = await generate({ sshKeys: [DEMO] });
  const doc = yaml.load(out.userData) as { write_files: { path: string; content: string }[] };
  const script = join(tmp, 'prepare');
  writeFileSync(script, doc.write_files.find((f) => f.path === SERVER_PATHS.prepare)!.content);
  const run = spawnSync('shellcheck', [script], { encoding: 'utf8' });
  assert.is(run.status, 0, run.stdout);
});

test('inspect reads back the plan, the payload version and the parts', async () => {
  const out = await generate({ config: 'examples/firstboot.yaml' });
  const found = inspect(out.userData);
  assert.equal(found.plan, out.plan);
  assert.is(found.payloadVersion, JSON.parse(readFileSync('package.json', 'utf8')).version);
  assert.equal(found.parts, out.parts);
  assert.is(found.bytes, Buffer.byteLength(out.userData));
});

test.run();
