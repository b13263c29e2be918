// Scenario 5: power is cut while apt installs the payload's packages; the next boot must resume
// (firstboot.service stays enabled until a run succeeds) and finish ok.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkLogins, sudo } from './checks';
import { FINISHED, hardened, waitForFirstboot, withVm } from './scenario';

test('a power cut during the packages step: the next boot resumes and finishes', async () => {
  const h = await hardened(undefined);
  await withVm({ name: 'interrupted', suite: 'bookworm', userData: h.userData, hostPorts: h.hostPorts, publicKeys: h.publicKeys }, async (vm) => {
    // The runner prints what the packages step found missing, then apt starts; 20 s later dpkg is busy.
    await vm.waitForConsole(/packages: /, 20 * 60_000);
    await new Promise((res) => setTimeout(res, 20_000));
    await vm.kill();
    assert.not.match(vm.consoleText(), FINISHED, 'the payload finished before the power cut');
    await vm.start();
    await waitForFirstboot(vm);
    await checkLogins(vm, h.expect);
    await sudo(vm, h.expect, 'firstboot check');
  });
});

test.run();
