// Scenario 2: sshd started by ssh.socket as on Ubuntu 24.04, with a port change, a named admin,
// mosh off and an extra firewall rule. Moving the port is where socket activation bites. Something
// else also holds dpkg's lock from early boot until firstboot has met it, as unattended-upgrades often
// does on a fresh server: first boot must wait for it, not fail.
// firstboot's pieces come from a URL source (--pieces-from), a folder the host serves, which is empty
// at first boot (the file not uploaded yet): the steps inside the user-data harden the server and it
// answers on its port, the others wait saying why, with a timer set; once the file from `firstboot
// pieces --out` is there, `firstboot run` fetches it and everything converges.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Status } from '../../contract/status';
import { ALWAYS_INSIDE } from '../../generator/pack';
import { sudo } from './access';
import { REPO_ADDRESS } from './image';
import { checkAll, hardened, waitForFirstboot, withVm } from './scenario';
import { withBootcmd, writePieces } from './userdata';

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
const HOLD_LOCK = [
  'systemd-run',
  '--no-block',
  '--unit=hold-dpkg-lock',
  '--property=DefaultDependencies=no',
  'python3',
  '-c',
  HOLDER,
];

const PIECES_URL = `http://${REPO_ADDRESS}/pieces/`;

test(
  'ssh.socket image, port 2222, admin ops, mosh off, 8080/tcp open, ' +
    'dpkg lock held at boot, pieces from a URL that comes late',
  async () => {
    const h = await hardened(CONFIG, ['8080/tcp'], ['--pieces-from', PIECES_URL]);
    h.expect.absent = ['60000:61000/udp'];
    const userData = withBootcmd(h.userData, HOLD_LOCK);
    const folder = mkdtempSync(join(tmpdir(), 'firstboot-vm-pieces-'));
    await withVm(
      {
        name: 'ubuntu-socket',
        suite: 'bookworm',
        sshSocket: true,
        userData,
        hostPorts: h.hostPorts,
        publicKeys: h.publicKeys,
        served: { '/pieces/': folder },
      },
      async (vm) => {
        await waitForFirstboot(vm);
        const firstboot = await sudo(vm, h.expect, 'journalctl -o cat -u firstboot');
        assert.match(
          firstboot,
          /lock was locked by another process|Could not get lock/,
          'the payload never met the held dpkg lock',
        );

        const status = JSON.parse(await sudo(vm, h.expect, 'firstboot status -o json')) as Status;
        const inside = status.steps.filter((s) => ALWAYS_INSIDE.has(s.id));
        assert.equal(
          inside.map((s) => s.id),
          ['packages', 'admin', 'ssh', 'firewall'],
        );
        for (const s of inside)
          assert.ok(s.result === 'changed' || s.result === 'ok', `${s.id}: ${s.result} ${s.error ?? ''}`);
        const waiting = status.steps.filter((s) => !ALWAYS_INSIDE.has(s.id));
        assert.ok(waiting.length >= 5, waiting.map((s) => s.id).join(' '));
        for (const s of waiting) {
          assert.is(s.result, 'waiting', s.id);
          assert.match(
            s.error!,
            /^waiting for firstboot's pieces from http:\/\/169\.254\.169\.253\/pieces\/: not downloaded from .*HTTP 404/,
          );
        }
        assert.match(
          await sudo(vm, h.expect, 'systemctl list-timers --all firstboot-retry.timer'),
          /firstboot-retry\.timer/,
          'no timer to try again',
        );
        // hardened SSH already answers on its port: the checks below log in there

        await writePieces(folder);
        const again = await vm.ssh('ops', 'sudo -n firstboot run', { port: 2222, key: h.key.private });
        assert.is(again.code, 0, again.stdout + again.stderr);
        assert.match(again.stdout, /files added, all checked against sha512-/);
        assert.match(again.stdout, /firstboot finished: ok \(\d+ steps: \d+ changed, \d+ ok, 0 failed, 0 skipped\)/);
        await checkAll(vm, h.expect);
      },
    );
  },
);

test.run();
