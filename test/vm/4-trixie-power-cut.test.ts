// Scenarios 3 and 5: a minimal trixie (no tzdata, no sudo: each step installs what it uses) with the
// developer toolchain on (Debian 13's Node.js is the one new enough for Context7; GSD too), and the power cut
// while apt unpacks libnode (in prepare's one transaction). The next boot must resume
// (firstboot.service stays enabled until a run succeeds) and finish ok. OpenSSH 10 logs as
// sshd-session, so the fail2ban check at the end of checkAll is the one that matters most here, after
// a local user forged sshd's failure lines every way it can, which must ban nothing. With a team's
// RSA keys the config is too large to carry firstboot whole: firstboot's pieces come from the npm
// registry, where the test published the checkout as a release would, checked against the plan's
// digest. No create: the user-data comes from `generate --host-key`, as for hcloud or Terraform, and
// `firstboot wait` follows the first boot from the user's side, across the power cut, with the key
// checked; then the replaced key proves itself through `ssh NAME`, and a second wait answers at once.
// One boot for all of it keeps CI within its time.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkAll, FINISHED, hardened, waitForFirstboot, withVm, type Hardened } from './scenario';
import { sudo, windowPasses } from './access';
import { checkDevtools, hostKey } from './checks';
import { sshRoute, type Route } from './route';
import type { Vm } from './vm';
import { FORGED_FROM, forgeSshdLines } from './forged';
import { cloudConfig, generateUserData, keyPair } from './userdata';
import { rsaPublicKey } from '../ssh-keys';
import { rejects } from '../rejects';

const CONFIG =
  `devtools:\n  enabled: true\n  context7: true\n  gsd: true\nadmin:\n  ssh_keys:\n` +
  `${[1, 2, 3, 4, 5, 6].map((i) => `    - ${rsaPublicKey(`team${i}`)}\n`).join('')}`;

type CliResult = Awaited<ReturnType<Route['cli']>>;

const NAME = 'trixie1';
const ADDRESS = '192.0.2.44';

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
    const route = await sshRoute(key);
    const h = await hardened(CONFIG, [], ['--pieces-from', 'npm', '--host-key', NAME], { key, env: route.env });
    const config = join(mkdtempSync(join(tmpdir(), 'firstboot-wait-')), 'firstboot.yaml');
    writeFileSync(config, CONFIG);
    const waitArgs = ['wait', ADDRESS, '--as', NAME, '-c', config];
    try {
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
          route.add(ADDRESS, vm, h.hostPorts);
          const waiting = route.cli(waitArgs);
          // prepare's one apt transaction (nodejs and the plan's packages) logs each package it unpacks. The
          // cut comes while libnode unpacks: apt has unpacked nodejs before it, so node is there but cannot
          // load its library, and dpkg --configure -a fails on nodejs until apt reinstalls libnode.
          await vm.waitForConsole(/prepare\[\d+\]: Unpacking libnode\d+/, 20 * 60_000);
          await new Promise((res) => setTimeout(res, 1_000));
          await vm.kill();
          assert.not.match(vm.consoleText(), FINISHED, 'the payload finished before the power cut');
          await vm.start();
          await waitForFirstboot(vm);
          const waited = await waiting;
          await checkWait(waited, vm, h, route, waitArgs).catch((error) => {
            console.log(`# what firstboot wait printed:\n${waited.stderr.replace(/^/gm, '#   ')}`);
            throw error;
          });
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
    } finally {
      route.close();
    }
  },
);

/**
 * What `firstboot wait` saw: the run followed across the power cut, the key the user-data carried
 * replaced by the server's own under NAME, the Host block that `ssh NAME` now logs in through, and a
 * second wait on the finished server that answers within seconds, as the admin (no root try that
 * fail2ban would count).
 */
async function checkWait(waited: CliResult, vm: Vm, h: Hardened, route: Route, args: string[]): Promise<void> {
  assert.is(waited.code, 0, waited.stderr);
  assert.match(waited.stdout, /^firstboot finished:\n/);
  assert.match(waited.stderr, /lost the connection .*; logging in again/, 'the power cut went unseen');
  assert.match(waited.stderr, /^ {2}.*firstboot finished: ok/m, "the run's log was not printed");
  assert.match(waited.stderr, /^replaced the host key the user-data carried/m);
  const pinned = (cloudConfig(h.userData).ssh_keys as { ed25519_public: string }).ed25519_public;
  const known = readFileSync(join(route.home, '.ssh', 'known_hosts'), 'utf8');
  assert.is(known, `${NAME} ${await hostKey(vm, 22)}\n`);
  assert.not.ok(known.includes(pinned.split(' ')[1]!), 'the key the user-data carried is still trusted');
  assert.match(readFileSync(join(route.home, '.ssh', 'config'), 'utf8'), /Host trixie1\n {2}HostName 192\.0\.2\.44\n/);
  await windowPasses();
  const proof = spawnSync('ssh', ['-o', 'BatchMode=yes', NAME, 'id -un'], { env: route.env, encoding: 'utf8' });
  assert.is(proof.stdout.trim(), 'admin', proof.stderr);

  const rootRefused = async () =>
    (await sudo(vm, h.expect, 'journalctl -q -o cat | grep -c "User root from .* not allowed" || true')).trim();
  const refusedBefore = await rootRefused();
  await windowPasses();
  const start = performance.now();
  const again = await route.cli(args);
  const seconds = (performance.now() - start) / 1000;
  console.log(`# a second firstboot wait on the finished server answered in ${seconds.toFixed(0)} s`);
  assert.is(again.code, 0, again.stderr);
  assert.not.match(again.stderr, /replaced the host key/, "the server's own key was replaced again");
  assert.ok(seconds < 120, `the second wait took ${seconds.toFixed(0)} s`);
  // its logins count against ufw's limit (6 connections in 30 s) too: let the window pass
  await windowPasses();
  assert.is(await rootRefused(), refusedBefore, 'the second wait tried root on the hardened server');
}

test.run();
