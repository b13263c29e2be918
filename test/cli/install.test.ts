// Installing firstboot as a user would, from the tarball `npm pack` makes: `npm install -g` into a
// prefix of its own, then the command from another folder, schema path included.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needs } from '../needs';

test('npm pack, npm install -g, then init, generate and inspect from any folder', () => {
  needs('ssh-keygen', 'openssh-client');
  const dir = mkdtempSync(join(tmpdir(), 'firstboot-install-'));
  execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  const tarball = join(dir, readdirSync(dir).find((f) => f.endsWith('.tgz'))!);
  const prefix = join(dir, 'prefix');
  execFileSync('npm', ['install', '-g', '--prefer-offline', '--no-audit', '--no-fund', '--prefix', prefix, tarball], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });

  const home = join(dir, 'home');
  mkdirSync(join(home, '.ssh'), { recursive: true });
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(home, '.ssh', 'id_ed25519')]);
  const project = join(dir, 'project');
  mkdirSync(project);
  const firstboot = (...args: string[]) =>
    spawnSync(join(prefix, 'bin', 'firstboot'), args, {
      cwd: project,
      encoding: 'utf8',
      env: { ...process.env, HOME: home },
    });

  assert.is(firstboot('init').status, 0);
  const schema = readFileSync(join(project, 'firstboot.yaml'), 'utf8').match(/\$schema=(\S+)/)![1]!;
  assert.ok(
    schema.startsWith(prefix) && existsSync(schema),
    `the schema the config names is the installed one: ${schema}`,
  );
  const made = firstboot('generate', '--out', 'user-data.yaml');
  assert.is(made.status, 0, made.stderr);
  const seen = firstboot('inspect', 'user-data.yaml', '-o', 'json');
  assert.is(seen.status, 0, seen.stderr);
  assert.ok(JSON.parse(seen.stdout).payloadFiles.includes('steps/ssh.mjs'), 'the installed payload pieces went in');
});

test.run();
