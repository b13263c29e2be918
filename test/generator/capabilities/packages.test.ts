import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { shellPackage } from '../../../generator/capabilities/packages';

test('zsh and fish come from their packages, wherever the config points', () => {
  assert.is(shellPackage('/usr/bin/zsh'), 'zsh');
  assert.is(shellPackage('/bin/zsh'), 'zsh');
  assert.is(shellPackage('/usr/bin/fish'), 'fish');
});

test('shells of the base system need nothing', () => {
  for (const shell of ['/bin/bash', '/usr/bin/bash', '/bin/sh', '/bin/dash'])
    assert.is(shellPackage(shell), undefined, shell);
});

test('a name that only looks like a key of the table is not a package', () => {
  assert.is(shellPackage('/bin/constructor'), undefined);
  assert.is(shellPackage('/opt/zsh-extra'), undefined);
});

test.run();
