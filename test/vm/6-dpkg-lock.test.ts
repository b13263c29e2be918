// Scenario 6: something else holds dpkg's lock for a minute at first boot, as unattended-upgrades
// often does on a fresh server; the payload must wait for it rather than fail.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkLogins, sudo } from './checks';
import { hardened, waitForFirstboot, withVm } from './scenario';
import { withBootcmd } from './userdata';

const HOLD = ['systemd-run', '--unit=hold-dpkg-lock', 'flock', '/var/lib/dpkg/lock-frontend', 'sleep', '60'];

test('the dpkg lock held for 60 s at first boot: the payload waits and succeeds', async () => {
  const h = await hardened(undefined);
  const userData = withBootcmd(h.userData, HOLD);
  await withVm({ name: 'dpkg-lock', suite: 'bookworm', userData, hostPorts: h.hostPorts, publicKeys: h.publicKeys }, async (vm) => {
    await waitForFirstboot(vm);
    await checkLogins(vm, h.expect);
    const held = await sudo(vm, h.expect, 'journalctl -o cat -u hold-dpkg-lock');
    assert.match(held, /Started/, 'the lock holder never ran');
  });
});

test.run();
