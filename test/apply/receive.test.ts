// The start script's upload, run here with sh on the bytes a connection delivers: whole, it replaces
// every file; cut anywhere or altered, it replaces none and says why.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CUT, receive, receiveInput, type Incoming } from '../../apply/remote';

function server() {
  const dir = mkdtempSync(join(tmpdir(), 'firstboot-receive-'));
  const files: Incoming[] = [
    { path: join(dir, 'lib/payload.br94'), content: `19464\n${'abc'.repeat(4000)}`, mode: '0600' },
    { path: join(dir, 'etc/firstboot.service'), content: '[Unit]\nDescription=firstboot ✓\n', mode: '0644' },
    { path: join(dir, 'secrets/console'), content: 'correct horse battery', mode: '0600', secret: true },
  ];
  for (const f of files) {
    spawnSync('mkdir', ['-p', f.path.replace(/\/[^/]*$/, '')]);
    writeFileSync(f.path, 'the old one\n');
  }
  return { dir, files };
}

const run = (script: string, input: Buffer) =>
  spawnSync('sh', ['-c', `set -eu\n${script}`], { input, encoding: 'utf8' });
const contents = (files: Incoming[]) => files.map((f) => readFileSync(f.path, 'utf8'));
const leftovers = (dir: string) =>
  readdirSync(dir, { recursive: true })
    .map(String)
    .filter((name) => name.endsWith('.new'));

test('a whole upload replaces every file, with its mode', () => {
  const { dir, files } = server();
  const r = run(receive(files), receiveInput(files));
  assert.is(r.status, 0, r.stderr);
  assert.equal(
    contents(files),
    files.map((f) => f.content),
  );
  assert.equal(
    files.map((f) => (statSync(f.path).mode & 0o777).toString(8).padStart(4, '0')),
    files.map((f) => f.mode),
  );
  assert.equal(leftovers(dir), []);
});

test("folders it makes are 0755 though sudo runs it with umask 0077 (firstboot's sudoers)", () => {
  const dir = mkdtempSync(join(tmpdir(), 'firstboot-receive-'));
  const files: Incoming[] = [
    { path: join(dir, 'usr/local/lib/firstboot/payload/main.mjs'), content: 'main\n', mode: '0644' },
  ];
  const r = spawnSync('sh', ['-c', `umask 0077; set -eu\n${receive(files)}`], {
    input: receiveInput(files),
    encoding: 'utf8',
  });
  assert.is(r.status, 0, r.stderr);
  for (const folder of ['usr', 'usr/local/lib/firstboot', 'usr/local/lib/firstboot/payload'])
    assert.is((statSync(join(dir, folder)).mode & 0o777).toString(8), '755', folder);
});

test('an upload cut anywhere replaces nothing and says so', () => {
  const whole = receiveInput(server().files);
  const first = Buffer.byteLength(server().files[0].content);
  const cuts: [number, RegExp][] = [
    [0, /the upload ended early: \S+payload\.br94 got 0 of its \d+ bytes/],
    [first - 1, /the upload ended early: \S+payload\.br94 got \d+ of its \d+ bytes/],
    [first + 10, /the upload ended early: \S+firstboot\.service got 10 of its \d+ bytes/],
    // the console password cut to its first 3 characters
    [whole.length - 15 - 18, /the upload ended early: \S+secrets\/console got 3 of its 21 bytes/],
    [whole.length - 15, /the upload ended early, after its last file/],
    [whole.length - 1, /the upload ended early, after its last file/],
  ];
  for (const [end, message] of cuts) {
    const { dir, files } = server();
    const r = run(receive(files), whole.subarray(0, end));
    assert.is(r.status, CUT, `cut at ${end}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.match(r.stderr, /; nothing on the server was replaced\n$/);
    assert.equal(
      contents(files),
      files.map(() => 'the old one\n'),
      `cut at ${end}`,
    );
    assert.equal(leftovers(dir), []);
  }
});

test(
  'a file that arrives altered, its length right, replaces nothing; ' + "a secret's digest is not on the command line",
  () => {
    const { dir, files } = server();
    const input = receiveInput(files);
    input[100] ^= 1;
    const r = run(receive(files), input);
    assert.is(r.status, CUT);
    assert.match(r.stderr, /payload\.br94 arrived altered: its sha256 differs; nothing on the server was replaced/);
    assert.equal(
      contents(files),
      files.map(() => 'the old one\n'),
    );
    assert.equal(leftovers(dir), []);
    assert.match(receive(files), /take 21 \S+secrets\/console 0600 ''\n/);
    assert.not.ok(existsSync(join(dir, 'secrets/console.new')));
  },
);

test.run();
