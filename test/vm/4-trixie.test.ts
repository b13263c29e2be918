// Scenario 3: trixie with the default config. OpenSSH 10 logs as sshd-session, so the fail2ban
// check at the end of checkAll is the one that matters most here.
import { test } from 'uvu';
import { checkAll, hardened, waitForFirstboot, withVm } from './scenario';

test('trixie, default config: hardened, and fail2ban bans', async () => {
  const h = await hardened(undefined);
  await withVm({ name: 'trixie-default', suite: 'trixie', userData: h.userData, hostPorts: h.hostPorts, publicKeys: h.publicKeys }, async (vm) => {
    await waitForFirstboot(vm);
    await checkAll(vm, h.expect);
  });
});

test.run();
