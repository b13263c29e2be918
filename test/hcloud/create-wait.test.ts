// firstboot create --wait, against the fake API and a fake server's ssh (setup.ts): which logins follow
// the boot's run and in what order, and the host key the user-data carried replaced by the server's own.
// The edge firewall and the run again over SSH are in create-wait-edge.test.ts.
import * as assert from 'uvu/assert';
import { readFile, writeFile } from 'node:fs/promises';
import { Fail } from '../../contract/fail';
import { create } from '../../hcloud/create';
import { LeftBehindError } from '../../hcloud/api/errors';
import type { RunRemote } from '../../ssh/run';
import {
  bootFollow,
  createSuite,
  defaultYaml,
  edgeTcpPorts,
  fakeServerSsh,
  kindOf,
  nextHostKey,
  sshFails,
} from './setup';
import { rejection } from '../rejects';
import { options, calls, follows, hostKeySteps, done, moved } from './create-wait-setup';

// the spec ledger is checked by the last test
const { test, spec } = createSuite('firstboot create --wait');

test('wait: retries until SSH answers, then returns the payload status', async (c) => {
  const server = fakeServerSsh((call, n) =>
    n < 3 ? sshFails.unreachable(call.login) : { log: ['[INFO] ssh changed'], status: done },
  );
  const waits: number[] = [];
  const result = await create(options(c, server.run, { sleep: async (ms) => void waits.push(ms) }));
  assert.equal(result.status, done);
  // nothing answers yet: every login once, then again after a pause, root on 22 first
  assert.equal(follows(server), ['root@22', 'ops@2222', 'ops@22', 'root@22']);
  assert.equal(waits, [10_000]);
  // each follows the boot's run from its start, through sudo unless root
  assert.is(server.calls[0].command, bootFollow('root'));
  assert.is(server.calls[1].command, bootFollow('ops'));
  assert.match(server.calls[1].command, /^sudo -n sh -c /);
  assert.ok(c.reports.includes(`following the first boot's run on ${result.server.ipv4}`), c.reports.join('\n'));
  assert.ok(c.reports.includes('  [INFO] ssh changed'), c.reports.join('\n'));
});

test('wait: a different host key stops at once, and the server is reported as left', async (c) => {
  const server = fakeServerSsh(() => sshFails.hostKey);
  const error = await rejection(create(options(c, server.run)), LeftBehindError);
  assert.instance(error.cause, Fail);
  assert.not.instance(error.cause, LeftBehindError);
  assert.match(
    (error.cause as Error).message,
    /^192\.0\.2\.\d+ does not answer with the host key \S+known_hosts has for it; not logging in:\n.*/,
  );
  assert.match(error.message, /was created and still exists, but: 192\.0\.2\.\d+ does not answer with the host key/);
  assert.equal(error.cleanup, ['firstboot delete web-1 --yes']);
  assert.equal(calls(server), ['boot root@22'], 'no other login, no second try');
  assert.is(c.fake.servers.size, 1);
});

test("wait on port 22: as root until the payload has made the admin, tries spaced under ufw's limit", async (c) => {
  await writeFile(c.config, defaultYaml.replace('port: 2222', 'port: 22'));
  const log = ['[INFO] admin changed', '[INFO] ssh changed'];
  const server = fakeServerSsh((call, n) => (n < 2 ? sshFails.unreachable(call.login) : { log, status: done }));
  const waits: number[] = [];
  const result = await create(options(c, server.run, { sleep: async (ms) => void waits.push(ms) }));
  assert.is(result.status!.ok, true);
  // root's one connection follows the whole run, though the run makes the admin on the way; after it,
  // the admin's login is the one that works
  assert.equal(calls(server), [
    'boot root@22',
    'boot ops@22',
    'boot root@22',
    'proof ops@22',
    ...hostKeySteps('ops@22'),
  ]);
  assert.equal(waits, [10_000]);
  assert.is(server.calls.at(-1)!.command, 'sudo -n firstboot host-key show');
});

test(
  'wait: a root login refused (the payload got there first) ' + 'goes over to the admin, and spaces tries out',
  async (c) => {
    const server = fakeServerSsh((call, n) => {
      if (call.login.user === 'root' || call.login.port === 22) return sshFails.refused(call.login);
      // sshd moves to 2222 a moment after it shut root out
      return n < 3 ? sshFails.unreachable(call.login) : { status: done };
    });
    const waits: number[] = [];
    await create(options(c, server.run, { sleep: async (ms) => void waits.push(ms) }));
    assert.equal(follows(server), ['root@22', 'ops@2222', 'ops@22', 'root@22', 'ops@2222']);
    assert.equal(waits, [30_000], 'a refused login is a failed login fail2ban counts: the next tries wait longer');
    assert.equal(calls(server).slice(5), ['proof ops@2222', ...hostKeySteps('ops@2222')]);
    assert.is(server.calls.at(-1)!.command, 'sudo -n firstboot host-key show');
  },
);

test(
  "wait: a connection lost in the middle of the boot's run logs in again, " + 'and each log line is printed once',
  async (c) => {
    const log = [
      '[INFO] packages changed',
      '[INFO] admin changed',
      '[INFO] ssh changed',
      '[INFO] firstboot finished: ok',
    ];
    const server = fakeServerSsh((call, n) => {
      // the first session drops half-way; then sshd has moved and the follow starts again from the boot's first line
      if (n === 0) return { log: log.slice(0, 2) };
      return call.login.port === 22 ? sshFails.unreachable(call.login) : { log, status: done };
    });
    const waits: number[] = [];
    const result = await create(options(c, server.run, { sleep: async (ms) => void waits.push(ms) }));
    assert.equal(result.status, done);
    assert.equal(follows(server), ['root@22', 'root@22', 'ops@2222']);
    assert.equal(waits, [10_000]);
    assert.equal(
      c.reports.filter((r) => r.startsWith('  ')),
      log.map((l) => `  ${l}`),
    );
    assert.ok(
      c.reports.includes('lost the connection (Connection to 192.0.2.10 closed by remote host.); logging in again'),
      c.reports.join('\n'),
    );
  },
);

test(
  'wait: the pinned host key is replaced over the login it authenticated; ' + 'known_hosts holds both only in between',
  async (c) => {
    const seen: string[] = [];
    const server = fakeServerSsh(moved({ status: done }));
    const run: RunRemote = async (login, command, opts) => {
      if (kindOf(login, command) === 'host-key')
        seen.push(
          `${command.split(' ').at(-1)} as ${login.user}@${login.port}: ` +
            `${(await readFile(c.knownHostsPath, 'utf8')).trim().split('\n').length} known`,
        );
      return server.run(login, command, opts);
    };
    const result = await create(options(c, run));
    const entry = `[${result.server.ipv4}]:2222`;
    assert.equal(seen, ['new as ops@2222: 1 known', 'swap as ops@2222: 2 known', 'show as ops@2222: 1 known']);
    assert.is(await readFile(c.knownHostsPath, 'utf8'), `${entry} ${nextHostKey}\n`);
    assert.is(server.keys.current, nextHostKey);
    assert.ok(c.reports.some((r) => r.startsWith('replaced the host key the user-data carried')));
  },
);

test(
  'wait: a server that will not swap its key is an error, ' + 'and known_hosts still trusts the key it answers with',
  async (c) => {
    const server = fakeServerSsh(() => ({ status: done }));
    const run: RunRemote = async (login, command, opts) =>
      command.endsWith('host-key swap')
        ? { code: 1, stdout: '', stderr: 'sudo: a password is required' }
        : server.run(login, command, opts);
    const error = await rejection(create(options(c, run)), LeftBehindError);
    assert.match(error.message, /firstboot host-key swap" \(exit 1\): sudo: a password is required/);
    const known = await readFile(c.knownHostsPath, 'utf8');
    assert.ok(known.includes(server.keys.current), 'the key the server still uses is trusted');
  },
);

test('every request and answer fits the API description', () => spec.assertNone());

test(
  'the run ends while root@22 still follows it (sshd keeps sessions it moved away from): ' +
    'create goes on as the admin on 2222',
  async (c) => {
    let ran = false;
    const server = fakeServerSsh(() => ((ran = true), { status: done }));
    const run: RunRemote = async (login, command, opts) => {
      // after the run: sshd listens on 2222 only, and root may not log in
      if (ran && login.port === 22) return sshFails.unreachable(login);
      if (ran && login.user === 'root') return sshFails.refused(login);
      return server.run(login, command, opts);
    };
    const result = await create(options(c, run, { firewall: true }));
    assert.is(server.keys.current, nextHostKey);
    assert.equal(edgeTcpPorts(c, result.firewall!.id), ['2222', '443']);
  },
);

test.run();
