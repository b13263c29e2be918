// Scenarios 3 and 5: a minimal trixie (no tzdata, no sudo: each step installs what it uses) with the
// developer toolchain on (Debian 13's Node.js is the one new enough for Context7), and the power cut
// while apt unpacks libnode (in prepare's one transaction). The next boot must resume
// (firstboot.service stays enabled until a run succeeds) and finish ok. OpenSSH 10 logs as
// sshd-session, so the fail2ban check at the end of checkAll is the one that matters most here, after
// a local user forged sshd's failure lines every way it can, which must ban nothing. With a team's
// RSA keys the config is too large to carry firstboot whole: firstboot's pieces come from the npm
// registry, where the test published the checkout as a release would, checked against the plan's
// digest. One boot for all of it keeps CI within its time.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkAll, FINISHED, hardened, waitForFirstboot, withVm } from './scenario';
import { sudo } from './access';
import { checkDevtools } from './checks';
import { FORGED_FROM, forgeSshdLines } from './forged';
import { generateUserData, keyPair } from './userdata';
import { rsaPublicKey } from '../ssh-keys';
import { rejects } from '../rejects';

const CONFIG =
  `devtools:\n  enabled: true\n  context7: true\nadmin:\n  ssh_keys:\n` +
  `${[1, 2, 3, 4, 5, 6].map((i) => `    - ${rsaPublicKey(`team${i}`)}\n`).join('')}`;

test(
  'minimal trixie with the developer toolchain, power cut during the packages step: ' +
    'resumed, hardened, the tools work, and fail2ban bans',
  async () => {
    // too large to travel whole: refused without a source, fetched from the registry with one
    const key = await keyPair();
    await rejects(
      () => generateUserData(CONFIG, key),
      /--pieces-from npm +the firstboot [\d.]+ package from http:\/\/169\.254\.169\.253/,
    );
    const h = await hardened(CONFIG, [], ['--pieces-from', 'npm']);
    await withVm(
      {
        name: 'trixie-power-cut',
        suite: 'trixie',
        minimal: true,
        userData: h.userData,
        hostPorts: h.hostPorts,
        publicKeys: h.publicKeys,
      },
      async (vm) => {
        // prepare's one apt transaction (nodejs and the plan's packages) logs each package it unpacks. The
        // cut comes while libnode unpacks: apt has unpacked nodejs before it, so node is there but cannot
        // load its library, and dpkg --configure -a fails on nodejs until apt reinstalls libnode.
        await vm.waitForConsole(/prepare\[\d+\]: Unpacking libnode\d+/, 20 * 60_000);
        await new Promise((res) => setTimeout(res, 1_000));
        await vm.kill();
        assert.not.match(vm.consoleText(), FINISHED, 'the payload finished before the power cut');
        await vm.start();
        await waitForFirstboot(vm);
        const log = await sudo(vm, h.expect, 'cat /var/log/firstboot.log');
        assert.match(
          log,
          /firstboot's pieces from npm \(http:\/\/169\.254\.169\.253[^)]*\): \d+ files added, all checked against sha512-/,
        );
        await checkDevtools(vm, h.expect);
        // a local user forges sshd's lines (with the toolchain's cc, also from sshd's own binaries): no ban
        await forgeSshdLines(vm, h.expect, { preload: true });
        await checkAll(vm, h.expect, FORGED_FROM);
      },
    );
  },
);

test.run();
