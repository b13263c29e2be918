// cloud-init/prepare as rendered, run by sh against stand-ins for node, dpkg and apt-get (and for the
// commands that would touch this machine's man-db and apt lists): the Node.js install must get through
// what a power cut mid-transaction leaves behind.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { generate } from '../../generator/generate';
import { SERVER_PATHS } from '../../contract/paths';

/**
 * A machine after a power cut while dpkg unpacked libnode: /usr/bin/node is there but cannot load its
 * library, and `dpkg --configure -a` fails on what depends on it. apt-get install reinstalls libnode
 * (as the real apt does) unless `aptFails`. Returns prepare's exit code and the commands it ran.
 */
async function prepareAfterCut(aptFails = false, config?: string) {
  const out = await generate({ sshKeys: ['examples/demo_ed25519.pub'], config });
  const doc = yaml.load(out.userData) as { write_files: { path: string; content: string }[] };
  const dir = mkdtempSync(join(tmpdir(), 'firstboot-prepare-'));
  const calls = join(dir, 'calls');
  const repaired = join(dir, 'repaired');
  const fake = (name: string, body: string) => {
    writeFileSync(join(dir, name), `#!/bin/sh\necho "${name} $*" >> ${calls}\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  };
  fake('node', `[ -e ${repaired} ] || exit 127`);
  fake('dpkg', `echo "dpkg: error processing package nodejs (--configure): dependency problems" >&2; exit 1`);
  // a package name apt does not know fails the whole transaction, as the real apt does
  const install = `case "$*" in *no-such-package*) exit 100;; *install*) : > ${repaired};; esac`;
  fake('apt-get', aptFails ? 'exit 100' : install);
  for (const name of ['rm', 'touch', 'find', 'sleep']) fake(name, '');
  writeFileSync(join(dir, 'prepare'), doc.write_files.find((f) => f.path === SERVER_PATHS.prepare)!.content);
  const run = spawnSync('/bin/sh', [join(dir, 'prepare')], { env: { PATH: dir }, encoding: 'utf8' });
  const ran = existsSync(calls) ? readFileSync(calls, 'utf8').trim().split('\n') : [];
  return { status: run.status, stderr: run.stderr, ran };
}

test('prepare gets Node.js installed after a power cut mid-unpack, though dpkg --configure -a fails', async () => {
  const { status, stderr, ran } = await prepareAfterCut();
  assert.is(status, 0, stderr);
  const apt = ran.filter((c) => c.startsWith('apt-get') || c.startsWith('dpkg'));
  assert.match(apt[0], /^dpkg .*--configure -a$/);
  assert.match(apt[1], /^apt-get .* update$/);
  assert.match(apt[2], /^apt-get .* install nodejs /);
  assert.is(apt.length, 3, apt.join('\n'));
  assert.not.ok(
    ran.some((c) => c.startsWith('find')),
    'the package lists were not dropped: the first try worked',
  );
});

test('prepare gives up after 30 tries when apt never works, dropping the package lists between tries', async () => {
  const { status, ran } = await prepareAfterCut(true);
  assert.is(status, 1);
  assert.is(ran.filter((c) => /^apt-get .* update$/.test(c)).length, 30);
  assert.is(ran.filter((c) => c === 'find /var/lib/apt/lists -type f -delete').length, 29);
  assert.is(ran.filter((c) => c === 'sleep 10').length, 29);
});

test("the config's extra packages ride in the transaction; a misspelt one leaves nodejs to install alone", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'firstboot-extras-'));
  writeFileSync(join(dir, 'firstboot.yaml'), 'packages: [htop, no-such-package]\n');
  const { status, stderr, ran } = await prepareAfterCut(false, join(dir, 'firstboot.yaml'));
  assert.is(status, 0, stderr);
  const installs = ran.filter((c) => /^apt-get .* install /.test(c)).map((c) => c.split(' install ')[1]);
  assert.equal(installs.length, 2, installs.join('\n'));
  assert.match(installs[0], /^nodejs tzdata .* unattended-upgrades htop no-such-package$/);
  assert.is(installs[1], 'nodejs');
});

test.run();
