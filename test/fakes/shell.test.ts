// The recording shell answers only what a test gave it a rule for, so a step cannot run a command no test checked.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { recordingShell } from './shell';
import { rejects } from '../rejects';

test('a command with no rule is refused, even with nothrow, and still recorded', async () => {
  const $ = recordingShell().on('systemctl is-active --quiet ssh', {});
  assert.ok((await $`systemctl is-active --quiet ${'ssh'}`).ok);
  // a string rule is the exact command or its prefix before a space, never a looser match
  await rejects(
    () => $`systemctl is-active --quiet sshd`,
    /^the recording shell has no rule for: systemctl is-active --quiet sshd$/,
  );
  await rejects(
    () => $({ nothrow: true })`systemctl restart ${'ssh'}`,
    /^the recording shell has no rule for: systemctl restart ssh$/,
  );
  assert.equal($.commands, [
    'systemctl is-active --quiet ssh',
    'systemctl is-active --quiet sshd',
    'systemctl restart ssh',
  ]);
});

test.run();
