import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rewrite, writeFileSafely } from '../../ssh/local-file';
import { rejects } from '../rejects';
import { writerCases } from '../writers';
import { assertInputFail } from '../rejects';

const tmp = mkdtempSync(join(tmpdir(), 'firstboot-local-'));

test('new files, links, a FIFO and a device: each as a user means it, nothing left behind', async () => {
  await writerCases((path, content, mode) => writeFileSafely(path, content, { mode }));
});

test('an existing file keeps its mode: the mode given is for new files', async () => {
  const file = join(tmp, 'kept');
  writeFileSync(file, 'old\n');
  chmodSync(file, 0o644);
  await writeFileSafely(file, 'new\n', { mode: 0o600 });
  assert.is(statSync(file).mode & 0o777, 0o644);
});

test('a folder, a missing folder: a sentence naming the path, and nothing written', async () => {
  mkdirSync(join(tmp, 'folder'));
  const error = await writeFileSafely(join(tmp, 'folder'), 'x', { mode: 0o600 }).catch((err: Error) => err);
  assertInputFail(error);
  assert.match((error as Error).message, /folder is a folder; give a file name$/);
  await rejects(
    () => writeFileSafely(join(tmp, 'nowhere', 'file'), 'x', { mode: 0o600 }),
    /^the folder .*nowhere does not exist$/,
  );
  assert.not.ok(existsSync(join(tmp, 'nowhere')));
  assert.equal(readdirSync(join(tmp, 'folder')), []);
});

test('rewrite makes ~/.ssh and a new file private, and writes nothing when nothing changes', async () => {
  const config = join(tmp, 'home', '.ssh', 'config');
  await rewrite(config, (text) => `${text}Host a\n`);
  assert.is(statSync(join(tmp, 'home', '.ssh')).mode & 0o777, 0o700);
  assert.is(statSync(config).mode & 0o777, 0o600);
  const before = statSync(config).mtimeMs;
  await rewrite(config, (text) => text);
  assert.is(statSync(config).mtimeMs, before);
});

test.run();
