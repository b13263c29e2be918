// Scenarios 1 and 4: the default config (only an SSH key) on bookworm; then a second run on the
// hardened server must change nothing.
import { test } from 'uvu';
import { checkFail2banLast, checkInside, checkLogins, checkRerun, checkSshAudit } from './checks';
import { hardened, waitForFirstboot, withVm } from './scenario';

test('bookworm, default config: hardened on first boot; a re-run changes nothing', async () => {
  const h = await hardened(undefined);
  await withVm({ name: 'bookworm-default', suite: 'bookworm', userData: h.userData, hostPorts: h.hostPorts, publicKeys: h.publicKeys }, async (vm) => {
    await waitForFirstboot(vm);
    await checkLogins(vm, h.expect);
    await checkInside(vm, h.expect);
    await checkSshAudit(vm, h.expect);
    await checkRerun(vm, h.expect);
    await checkFail2banLast(vm, h.expect);
  });
});

test.run();
