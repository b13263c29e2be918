// `firstboot init` and the ./firstboot.yaml the other commands pick up, run as a user runs them: in a
// folder of their own, with a HOME of their own, on a terminal where it asks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { needs } from '../needs';

const CLI = resolve('dist/firstboot.js');

function place(withKey: boolean) {
  needs('ssh-keygen', 'openssh-client'); // here, and init's own when there is no key
  const dir = mkdtempSync(join(tmpdir(), 'firstboot-init-'));
  const home = join(dir, 'home');
  mkdirSync(join(home, '.ssh'), { recursive: true });
  if (withKey) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(home, '.ssh', 'id_ed25519')]);
  const project = join(dir, 'project');
  mkdirSync(project);
  const run = (...args: string[]) =>
    spawnSync('node', [CLI, ...args], {
      cwd: project,
      encoding: 'utf8',
      env: { ...process.env, HOME: home, NO_COLOR: '1' },
    });
  return { home, project, run };
}

test("init writes a starter naming the user's key, which validate then reads by itself", () => {
  const { project, run } = place(true);
  const made = run('init');
  assert.is(made.status, 0, made.stderr);
  assert.match(made.stderr, /^wrote \.\/firstboot\.yaml with the key ~\/\.ssh\/id_ed25519\.pub/m);
  const text = readFileSync(join(project, 'firstboot.yaml'), 'utf8');
  assert.match(text, /^# yaml-language-server: \$schema=\/\S+\/firstboot\.schema\.json$/m);
  assert.ok(existsSync(text.match(/\$schema=(\S+)/)![1]), 'the schema path points at the installed schema');
  const checked = run('validate');
  assert.is(checked.status, 0, checked.stderr);
  assert.match(checked.stderr, /^using \.\/firstboot\.yaml$/m);
  assert.match(checked.stderr, /^firstboot\.yaml: ok$/m);
  // never over an existing one
  const again = run('init');
  assert.is(again.status, 2);
  assert.match(again.stderr, /already exists/);
  assert.is(readFileSync(join(project, 'firstboot.yaml'), 'utf8'), text);
});

test('no key and no terminal: a sentence saying how to make one, and nothing written', () => {
  const { project, run } = place(false);
  const refused = run('init');
  assert.is(refused.status, 2);
  assert.match(refused.stderr, /no ed25519 key in ~\/\.ssh: make one with ssh-keygen -t ed25519/);
  assert.not.ok(existsSync(join(project, 'firstboot.yaml')));
});

test('no key on a terminal: init offers a dedicated key pair, ssh-keygen asks for its passphrase', async () => {
  const { home, project } = place(false);
  // each question, then its answer: the offer, ssh-keygen's passphrase and its confirmation (empty here)
  const answers: [RegExp, string][] = [
    [/\[Y\/n\]/, 'y\n'],
    [/passphrase/i, '\n'],
    [/again/i, '\n'],
  ];
  const output = await new Promise<string>((done) => {
    const child = spawn('script', ['-qec', `node ${CLI} init`, '/dev/null'], {
      cwd: project,
      env: { ...process.env, HOME: home },
    });
    let seen = '';
    let unanswered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      unanswered += chunk.toString();
      if (answers.length && answers[0]![0].test(unanswered)) {
        child.stdin.write(answers.shift()![1]);
        unanswered = '';
      }
    });
    const stop = setTimeout(() => child.kill(), 20_000);
    child.on('close', () => (clearTimeout(stop), done(seen)));
  });
  assert.ok(existsSync(join(home, '.ssh', 'id_firstboot')), output);
  assert.match(readFileSync(join(project, 'firstboot.yaml'), 'utf8'), /- ~\/\.ssh\/id_firstboot\.pub$/m);
});

test('each preset is a config that validates and generates; a preset firstboot lacks is refused', () => {
  for (const [preset, more] of [
    ['plain', []],
    // every capability on is over Hetzner's limit: the preset says to let the server fetch the pieces
    ['developer', ['--pieces-from', 'https://example.org/firstboot/']],
  ] as const) {
    const { project, run } = place(true);
    const made = run('init', '--preset', preset);
    assert.is(made.status, 0, made.stderr);
    const text = readFileSync(join(project, 'firstboot.yaml'), 'utf8');
    assert.match(text, new RegExp(`^# firstboot's config \\(preset ${preset}\\)`, 'm'));
    assert.is(run('validate', ...more).status, 0, `${preset}: ${run('validate', ...more).stderr}`);
    const out = run('generate', ...more, '--out', 'user-data.yaml');
    assert.is(out.status, 0, out.stderr);
    const plan = JSON.parse(run('inspect', 'user-data.yaml', '-o', 'json').stdout).plan;
    const steps = plan.steps.map((s: { id: string }) => s.id);
    if (preset === 'developer') {
      for (const id of ['report', 'tailscale', 'geoip', 'devtools']) assert.ok(steps.includes(id), `${preset}: ${id}`);
      assert.match(text, /--pieces-from/, 'the preset does not say it needs --pieces-from');
    } else for (const id of ['report', 'tailscale', 'geoip', 'devtools']) assert.not.ok(steps.includes(id), id);
  }
  const { project, run } = place(true);
  const refused = run('init', '--preset', 'developr');
  assert.is(refused.status, 2);
  assert.match(refused.stderr, /--preset takes plain or developer, got "developr"; did you mean "developer"\?/);
  assert.not.ok(existsSync(join(project, 'firstboot.yaml')));
});

test.run();
