// Scenario 2: sshd started by ssh.socket as on Ubuntu 24.04, with a port change, a named admin,
// mosh off and an extra firewall rule. Moving the port is where socket activation bites.
import { test } from 'uvu';
import { checkAll, hardened, waitForFirstboot, withVm } from './scenario';

const CONFIG = `ssh: {port: 2222}
admin: {name: ops}
mosh: {enabled: false}
firewall: {allow: [8080/tcp]}
`;

test('ssh.socket image, port 2222, admin ops, mosh off, 8080/tcp open', async () => {
  const h = await hardened(CONFIG, ['8080/tcp']);
  h.expect.absent = ['60000:61000/udp'];
  await withVm({ name: 'ubuntu-socket', suite: 'bookworm', sshSocket: true, userData: h.userData, hostPorts: h.hostPorts, publicKeys: h.publicKeys }, async (vm) => {
    await waitForFirstboot(vm);
    await checkAll(vm, h.expect);
  });
});

test.run();
