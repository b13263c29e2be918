// lib/apt.ts at first boot: a held dpkg lock, a flaky mirror, an interrupted dpkg.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { install } from '../../payload/lib/apt';
import { recordingShell } from '../fakes/shell';
import { makeLog } from '../../payload/lib/log';
import { rejects } from '../rejects';

const CONFIGURE =
  'env DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 APT_LISTCHANGES_FRONTEND=none dpkg --force-confdef ' +
  '--force-confold --configure -a';
const UPDATE = /^apt-get .* update$/;
const INSTALL = /^env .* apt-get .* install --no-install-recommends ufw$/;
const LOCKED = {
  stderr:
    'E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 612 (unattended-upgr)\n' +
    'E: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), is another process using it?\n',
  exitCode: 100,
};
const OFFLINE = {
  stderr:
    'W: Failed to fetch http://deb.debian.org/debian/dists/bookworm/InRelease  Temporary failure resolving ' +
    "'deb.debian.org'\n",
  exitCode: 100,
};

/** a healthy Debian 12 where apt works: dpkg has nothing to finish, the mirror answers, ufw installs */
function machine() {
  const lines: string[] = [];
  const slept: number[] = [];
  const sleep = async (seconds: number) => void slept.push(seconds);
  const $ = recordingShell()
    .on(CONFIGURE, {}) // nothing half-configured: dpkg prints nothing
    .on(UPDATE, { stdout: 'Hit:1 http://deb.debian.org/debian bookworm InRelease\nReading package lists...\n' })
    .on(INSTALL, { stdout: 'Reading package lists...\nSetting up ufw (0.36.2-1) ...\n' });
  return { $, log: makeLog((line) => lines.push(line), 'DEBUG'), lines, slept, sleep };
}

/** replies in turn, then the last one for ever */
const inTurn = (...replies: object[]) => {
  let call = 0;
  return () => replies[Math.min(call++, replies.length - 1)];
};

test('needrestart and apt-listchanges stand down in every apt and dpkg run of the payload', async () => {
  const m = machine();
  await install(m.$, m.log, ['ufw'], m.sleep);
  const env = m.$.commands.filter((c) => c.startsWith('env '));
  assert.is(env.length, 2);
  // a library node has loaded, upgraded here, would make needrestart restart firstboot.service under us
  for (const c of env)
    assert.match(c, /^env DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 APT_LISTCHANGES_FRONTEND=none /);
});

test('repairs an interrupted dpkg before apt runs', async () => {
  const m = machine();
  await install(m.$, m.log, ['ufw'], m.sleep);
  assert.is(m.$.commands[0], CONFIGURE);
  assert.match(m.$.commands[1], UPDATE);
  assert.match(m.$.commands[2], INSTALL);
  assert.is(m.$.commands.length, 3);
});

test('waits for a held dpkg lock, then installs', async () => {
  const m = machine();
  m.$.on(INSTALL, inTurn(LOCKED, LOCKED, {}));
  await install(m.$, m.log, ['ufw'], m.sleep);
  assert.is(m.$.commands.filter((cmd) => INSTALL.test(cmd)).length, 3);
  assert.equal(m.slept, [5, 5]);
  assert.ok(m.lines.some((line) => line.includes('waiting for the dpkg lock')));
});

test("retries a network error, and gives up after 3 tries with apt's message", async () => {
  const m = machine();
  m.$.on(UPDATE, OFFLINE);
  await rejects(
    () => install(m.$, m.log, ['ufw'], m.sleep),
    /apt-get update failed \(exit 100\): .*Temporary failure resolving 'deb\.debian\.org'/,
  );
  assert.is(m.$.commands.filter((cmd) => UPDATE.test(cmd)).length, 3);
  assert.equal(m.slept, [20, 30]);
  assert.not.ok(m.$.commands.some((cmd) => INSTALL.test(cmd)));
});

test('a network error that clears on a retry is not a failure', async () => {
  const m = machine();
  m.$.on(UPDATE, inTurn(OFFLINE, {}));
  await install(m.$, m.log, ['ufw'], m.sleep);
  assert.match(m.$.commands.at(-1)!, INSTALL);
});

// what a power cut in the middle of unpacking libnode leaves (seen in CI): nodejs unpacked, libnode
// half-installed, so dpkg cannot configure nodejs; apt's install reinstalls libnode and configures both
const CUT_MID_UNPACK = {
  stderr:
    'dpkg: dependency problems prevent configuration of nodejs:\n' +
    ' nodejs depends on libnode115 (= 20.19.2+dfsg-1+deb13u3); however:\n' +
    '  Package libnode115:amd64 is not installed.\n\n' +
    'dpkg: error processing package nodejs (--configure):\n dependency problems - leaving unconfigured\n',
  exitCode: 1,
};

test('a package cut mid-unpack fails dpkg --configure -a: apt still runs and reinstalls it', async () => {
  const m = machine();
  m.$.on(CONFIGURE, CUT_MID_UNPACK);
  await install(m.$, m.log, ['ufw'], m.sleep);
  assert.match(m.$.commands.at(-1)!, INSTALL);
  assert.ok(
    m.lines.some((line) => /dpkg --configure -a failed \(exit 1\): .*dependency problems/.test(line)),
    m.lines.join('\n'),
  );
});

test("when apt cannot repair dpkg either, the step fails with apt's own message", async () => {
  const m = machine();
  m.$.on(CONFIGURE, CUT_MID_UNPACK);
  m.$.on(INSTALL, { stderr: 'E: Sub-process /usr/bin/dpkg returned an error code (1)\n', exitCode: 100 });
  await rejects(
    () => install(m.$, m.log, ['ufw'], m.sleep),
    /apt-get install ufw failed \(exit 100\): .*returned an error code/,
  );
  assert.equal(m.slept, []);
});

test.run();
