// Scenario 2: sshd started by ssh.socket as on Ubuntu 24.04, with a port change, a named admin,
// mosh off and an extra firewall rule. Moving the port is where socket activation bites. Something
// else also holds dpkg's lock from early boot until firstboot has met it, as unattended-upgrades often
// does on a fresh server: first boot must wait for it, not fail.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sudo } from './checks';
import { checkAll, hardened, waitForFirstboot, withVm } from './scenario';
import { withBootcmd } from './userdata';

const CONFIG = `ssh: {port: 2222}
admin: {name: ops}
mosh: {enabled: false}
firewall: {allow: [8080/tcp]}
`;

// apt and dpkg take fcntl locks (flock(1) would not stop them). No default dependencies: bootcmd runs
// before sysinit.target, which a default transient unit waits for; --no-block so bootcmd goes on. The
// holder lets go once firstboot's journal shows it met the lock (as unattended-upgrades would after
// its run), or after three minutes: the wait is proven without sitting it out.
const HOLDER = `import fcntl, re, subprocess, time
f = open("/var/lib/dpkg/lock-frontend", "w")
fcntl.lockf(f, fcntl.LOCK_EX)
end = time.time() + 180
while time.time() < end:
    log = subprocess.run(["journalctl", "-o", "cat", "-u", "firstboot"], capture_output=True, text=True).stdout
    if re.search("lock was locked by another process|Could not get lock", log):
        time.sleep(5)
        break
    time.sleep(2)`;
const HOLD_LOCK = ['systemd-run', '--no-block', '--unit=hold-dpkg-lock', '--property=DefaultDependencies=no', 'python3', '-c', HOLDER];

test('ssh.socket image, port 2222, admin ops, mosh off, 8080/tcp open, dpkg lock held at boot', async () => {
  const h = await hardened(CONFIG, ['8080/tcp']);
  h.expect.absent = ['60000:61000/udp'];
  const userData = withBootcmd(h.userData, HOLD_LOCK);
  await withVm({ name: 'ubuntu-socket', suite: 'bookworm', sshSocket: true, userData, hostPorts: h.hostPorts, publicKeys: h.publicKeys }, async (vm) => {
    await waitForFirstboot(vm);
    const firstboot = await sudo(vm, h.expect, 'journalctl -o cat -u firstboot');
    assert.match(firstboot, /lock was locked by another process|Could not get lock/, 'the payload never met the held dpkg lock');
    await checkAll(vm, h.expect);
  });
});

test.run();
