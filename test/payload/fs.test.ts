import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeFs } from '../../payload/lib/fs';
import { writerCases } from '../writers';

test('new files, links, a FIFO and a device: each as a user means it, nothing left behind', async () => {
  await writerCases((path, content, mode) => nodeFs.write(path, content, { mode }));
});

test("the step's mode is the file's: an existing file gets the mode the step asks for", async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'firstboot-fs-')), 'sshd.conf');
  writeFileSync(file, 'old\n');
  chmodSync(file, 0o644);
  await nodeFs.write(file, 'new\n', { mode: 0o600 });
  assert.is(statSync(file).mode & 0o777, 0o600);
});

test.run();
