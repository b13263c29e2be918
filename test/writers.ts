// The cases both file writers (the CLI's hcloud/local-file.ts, the payload's lib/fs.ts) must handle,
// on real files in a temporary folder: a new file, a file with its own mode and owner, a symbolic
// link (relative, chained), a FIFO and a character device made by mknod. The tests run as root in CI.
import * as assert from 'uvu/assert';
import { execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type Write = (path: string, content: string, mode: number) => Promise<void>;

const isRoot = process.getuid?.() === 0;

/** Nothing but the expected names in the folder: no temporary file left behind. */
const only = (dir: string, names: string[]) =>
  assert.equal(readdirSync(dir).sort(), [...names].sort(), `what ${dir} holds`);

export async function writerCases(write: Write): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'firstboot-write-'));

  // a new file gets the mode asked for
  await write(join(dir, 'new'), 'one\n', 0o600);
  assert.is(readFileSync(join(dir, 'new'), 'utf8'), 'one\n');
  assert.is(statSync(join(dir, 'new')).mode & 0o777, 0o600);

  // a link is written through: the link stays, its target gets the content and keeps its mode
  mkdirSync(join(dir, 'dotfiles'));
  writeFileSync(join(dir, 'dotfiles', 'config'), 'old\n', { mode: 0o640 });
  chmodSync(join(dir, 'dotfiles', 'config'), 0o640);
  symlinkSync('dotfiles/config', join(dir, 'config'));
  symlinkSync('config', join(dir, 'chained'));
  await write(join(dir, 'chained'), 'through two links\n', 0o600);
  assert.ok(lstatSync(join(dir, 'config')).isSymbolicLink(), 'the link stays a link');
  assert.is(readlinkSync(join(dir, 'config')), 'dotfiles/config');
  assert.is(readFileSync(join(dir, 'dotfiles', 'config'), 'utf8'), 'through two links\n');
  only(join(dir, 'dotfiles'), ['config']);

  // a FIFO is written in place, to whoever reads it
  execFileSync('mkfifo', [join(dir, 'pipe')]);
  const reader = spawn('cat', [join(dir, 'pipe')]);
  let read = '';
  reader.stdout.on('data', (chunk: Buffer) => (read += chunk));
  const closed = new Promise((resolve) => reader.on('close', resolve));
  await write(join(dir, 'pipe'), 'down the pipe\n', 0o600);
  await closed;
  assert.is(read, 'down the pipe\n');
  assert.ok(statSync(join(dir, 'pipe')).isFIFO(), 'still a FIFO');

  if (isRoot) {
    // a device like /dev/null stays a device
    execFileSync('mknod', [join(dir, 'null'), 'c', '1', '3']);
    await write(join(dir, 'null'), 'into nothing\n', 0o600);
    assert.ok(statSync(join(dir, 'null')).isCharacterDevice(), 'still a character device');
    // an existing file keeps its owner (nobody's here)
    writeFileSync(join(dir, 'owned'), 'old\n');
    chownSync(join(dir, 'owned'), 65534, 65534);
    await write(join(dir, 'owned'), 'new\n', 0o644);
    assert.is(statSync(join(dir, 'owned')).uid, 65534);
  }
  only(dir, ['new', 'dotfiles', 'config', 'chained', 'pipe', ...(isRoot ? ['null', 'owned'] : [])]);
}
