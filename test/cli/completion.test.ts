// `firstboot completion SHELL`: each script loaded into its real shell and asked to complete, as a
// user's shell would (scripts/test-deps installs zsh and fish).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needs } from '../needs';

const tmp = mkdtempSync(join(tmpdir(), 'firstboot-completion-'));
const script = (shell: string) => {
  const run = spawnSync('node', ['dist/firstboot.js', 'completion', shell], { encoding: 'utf8' });
  assert.is(run.status, 0, run.stderr);
  const file = join(tmp, `firstboot.${shell}`);
  writeFileSync(file, run.stdout);
  return file;
};
const sh = (shell: string, code: string) => {
  needs(shell, shell); // each shell's Debian package has its name
  const run = spawnSync(shell, ['-c', code], { encoding: 'utf8', cwd: tmp });
  assert.is(run.status, 0, `${shell}: ${run.stderr}`);
  return run.stdout.trim().split('\n');
};

test("bash: commands, a command's own options, file names after --config", () => {
  const file = script('bash');
  writeFileSync(join(tmp, 'firstboot.yaml'), 'admin: {}\n');
  const complete = (...words: string[]) =>
    sh(
      'bash',
      `source ${file}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; ` +
        `_firstboot; printf '%s\\n' "\${COMPREPLY[@]}"`,
    );
  assert.equal(complete('firstboot', 'gen'), ['generate']);
  assert.equal(complete('firstboot', 'create', '--fi'), ['--firewall']);
  assert.equal(complete('firstboot', 'generate', '--fi'), ['']);
  assert.equal(complete('firstboot', 'plan', '-c', 'firstboot.y'), ['firstboot.yaml']);
});

test("fish: the same, from fish's own completion engine", () => {
  const file = script('fish');
  const complete = (line: string) => sh('fish', `source ${file}; complete -C'${line}'`).map((l) => l.split('\t')[0]);
  assert.equal(complete('firstboot gen'), ['generate']);
  assert.equal(complete('firstboot create --fi'), ['--firewall']);
  assert.ok(complete('firstboot list -').includes('--output'));
});

test("zsh: registered with compinit, and the completer offers commands and each command's options", () => {
  const file = script('zsh');
  // _describe and _arguments print what zsh would offer; the completer's own logic is what runs
  const out = sh(
    'zsh',
    `autoload -U compinit; compinit -u -D; source ${file}; print "registered $_comps[firstboot]"
_describe() { print -l -- \${(P)2} }; _arguments() { print -l -- "$@" }
words=(firstboot gen); CURRENT=2; _firstboot
words=(firstboot create --fi); CURRENT=3; _firstboot`,
  );
  assert.is(out[0], 'registered _firstboot');
  assert.ok(
    out.some((l) => l.startsWith('generate:write cloud-init user-data')),
    out.join('\n'),
  );
  assert.ok(out.includes('--firewall'), out.join('\n'));
  assert.ok(
    out.some((l) => l.startsWith("'(-c --config)'") || l.includes('--config')),
    out.join('\n'),
  );
});

test('another shell is a usage error', () => {
  const run = spawnSync('node', ['dist/firstboot.js', 'completion', 'tcsh'], { encoding: 'utf8' });
  assert.is(run.status, 2);
  assert.match(run.stderr, /^error: completion takes bash, zsh or fish, got "tcsh"$/m);
});

test.run();
