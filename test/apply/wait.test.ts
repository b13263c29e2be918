// firstboot wait, for a server made elsewhere from firstboot's user-data: the pinned key checked under
// its name, the boot's run followed as create --wait follows it (a fake server's ssh, test/hcloud/setup.ts),
// the key the user-data carried replaced, and the Host block written or proposed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { readFile, writeFile } from 'node:fs/promises';
import { MARK } from '../../apply/remote';
import { waitFor, type WaitOptions } from '../../apply/wait';
import { Fail } from '../../contract/fail';
import { configAndPlan } from '../../generator/generate';
import { CARRIED, fingerprint } from '../../ssh/host-key';
import { addKnownKey, knownLines } from '../../ssh/known-hosts';
import type { Login } from '../../ssh/run';
import { fakeServerSsh, hostKey, kindOf, nextHostKey, sshFails, statusOf, workspace } from '../hcloud/setup';
import { rejection } from '../rejects';

const pinned = hostKey.public.split(' ').slice(0, 2).join(' ');
const done = statusOf(true, [{ id: 'ssh', result: 'changed' }]);
const failed = statusOf(false, [{ id: 'ssh', result: 'failed', error: 'sshd -t failed' }]);
const at = (l: Login) => `${l.user}@${l.port}`;

/** the key under web1 as generate --host-key pins it (carried), as a user pins one by hand, or none */
async function place(pin: 'carried' | 'by hand' | 'none' = 'carried') {
  const w = await workspace();
  const { plan } = await configAndPlan({ config: w.config });
  if (pin !== 'none')
    await addKnownKey(w.knownHostsPath, 'web1', hostKey.public, pin === 'carried' ? { comment: CARRIED } : {});
  const reports: string[] = [];
  const options = (run: WaitOptions['run'], extra: Partial<WaitOptions> = {}): WaitOptions => ({
    address: '192.0.2.10',
    as: 'web1',
    plan,
    secrets: new Map(),
    report: (m) => void reports.push(m),
    knownHostsPath: w.knownHostsPath,
    sshConfigPath: w.sshConfigPath,
    run,
    sleep: async () => {},
    ...extra,
  });
  return { ...w, reports, options };
}

/** sshd moved to 2222 during the run: 22 no longer answers */
const movedServer = (status: object) =>
  fakeServerSsh(({ login }, n) => (login.port === 22 && n > 0 ? sshFails.unreachable(login) : { status }));

test('a key the user-data carried: followed as root on 22, proven as the admin on 2222, replaced', async () => {
  const p = await place();
  const server = movedServer(done);
  const result = await waitFor(p.options(server.run));
  assert.equal(result.status, done);
  assert.equal(
    server.calls.map((c) => `${kindOf(c.login, c.command)} ${at(c.login)}`),
    ['boot root@22', 'proof ops@2222', 'host-key ops@2222', 'host-key ops@2222', 'host-key ops@2222'],
  );
  // the server's own key under the name, with no mark: a later wait leaves it as it is
  assert.equal(await knownLines(p.knownHostsPath, 'web1'), [`web1 ${nextHostKey}`]);
  assert.ok(result.hostBlock.written);
  assert.is(
    await readFile(p.sshConfigPath, 'utf8'),
    '# firstboot: web1 (firstboot delete removes this block)\nHost web1\n  HostName 192.0.2.10\n  User ops\n' +
      '  Port 2222\n  HostKeyAlias web1\n  StrictHostKeyChecking yes\n# end firstboot: web1\n',
  );
  assert.ok(p.reports.includes("following the first boot's run on 192.0.2.10"), p.reports.join('\n'));
});

test('a key pinned by hand is checked but not replaced; a failed run is the result', async () => {
  const p = await place('by hand');
  const server = movedServer(failed);
  const result = await waitFor(p.options(server.run));
  assert.is(result.status.ok, false);
  assert.not.ok(server.calls.some((c) => kindOf(c.login, c.command) === 'host-key'));
  assert.equal(await knownLines(p.knownHostsPath, 'web1'), [`web1 ${pinned}`]);
});

test('no key pinned: refused with exit 2 before any login, saying how to pin one', async () => {
  const p = await place('none');
  const server = movedServer(done);
  const error = await rejection(waitFor(p.options(server.run, { as: 'web2' })), Fail);
  assert.is(error.exitCode, 2);
  assert.match(error.message, /has no host key for web2, so nothing proves the server at 192\.0\.2\.10 is the one/);
  assert.match(error.message, /--host-key NAME and wait with --as NAME; or, .*--trust-first-key$/);
  assert.equal(server.calls, []);
});

test('--trust-first-key: the key the first login met is kept, its fingerprint said, and not replaced', async () => {
  const p = await place('none');
  // ssh's accept-new records the key the server answers with, under the alias, before it logs in
  const server = fakeServerSsh(({ login }, n) => {
    if (n === 0) {
      mkdirSync(dirname(p.knownHostsPath), { recursive: true });
      writeFileSync(p.knownHostsPath, `web2 ${pinned}\n`);
    }
    return login.port === 22 && n > 0 ? sshFails.unreachable(login) : { status: done };
  });
  const result = await waitFor(p.options(server.run, { as: 'web2', trustFirstKey: true }));
  assert.is(result.status.ok, true);
  assert.is(kindOf(server.calls[0]!.login, server.calls[0]!.command), 'boot');
  assert.is(at(server.calls[0]!.login), 'root@22', 'a server not seen before is followed from its first boot');
  assert.ok(
    p.reports.some((r) => r.endsWith(`as web2 in ${p.knownHostsPath}: ED25519 ${fingerprint(pinned)}`)),
    p.reports.join('\n'),
  );
  assert.match(fingerprint(pinned), /^SHA256:[A-Za-z0-9+/]{43}$/);
  assert.not.ok(server.calls.some((c) => kindOf(c.login, c.command) === 'host-key'));
});

test('a key that is not the carried one: the server was seen through, so the admin first, never root', async () => {
  const p = await place('by hand');
  const server = movedServer(done);
  await waitFor(p.options(server.run));
  assert.equal(
    server.calls.map((c) => `${kindOf(c.login, c.command)} ${at(c.login)}`),
    ['boot ops@2222', 'proof ops@2222'],
  );
});

test('without --as, the key under the address; the Host block proposed, ~/.ssh/config untouched', async () => {
  const p = await place('none');
  await addKnownKey(p.knownHostsPath, '192.0.2.10', hostKey.public);
  const result = await waitFor(p.options(movedServer(done).run, { as: undefined }));
  assert.not.ok(result.hostBlock.written);
  assert.is(
    result.hostBlock.text,
    'Host NAME\n  HostName 192.0.2.10\n  User ops\n  Port 2222\n  HostKeyAlias 192.0.2.10\n' +
      '  StrictHostKeyChecking yes\n',
  );
  assert.is(await readFile(p.sshConfigPath, 'utf8').catch(() => 'none'), 'none');
});

test("a Host block of the user's own for the name is left alone; the block is proposed", async () => {
  const p = await place();
  const own = 'Host web1\n  HostName 203.0.113.9\n';
  await writeFile(p.sshConfigPath, own);
  const result = await waitFor(p.options(movedServer(done).run));
  assert.not.ok(result.hostBlock.written);
  assert.is(result.hostBlock.why, 'a Host block of yours sends "ssh web1" to 203.0.113.9');
  assert.is(await readFile(p.sshConfigPath, 'utf8'), own);
});

test('a server that answers with another key is never logged in to', async () => {
  const p = await place();
  const server = fakeServerSsh(() => sshFails.hostKey);
  const error = await rejection(waitFor(p.options(server.run)), Fail);
  assert.match(error.message, /^192\.0\.2\.10 does not answer with the host key \S+ has for it; not logging in/);
  assert.is(server.calls.length, 1);
});

test("a power cut mid-run: the next boot's log is printed from its first line, the same boot's once", async () => {
  const p = await place();
  const boot = (id: string) => `${MARK.boot}${id}`;
  const sessions = [
    { log: [boot('one'), 'prepare: a', 'prepare: b', 'prepare: c'] },
    { log: [boot('one'), 'prepare: a', 'prepare: b', 'prepare: c', 'prepare: d'] },
    { log: [boot('two'), 'prepare: resumed', 'firstboot finished: ok'], status: done },
  ];
  const server = fakeServerSsh(({ login }, n) =>
    login.user === 'root' ? (sessions[n] ?? sshFails.unreachable(login)) : { status: done },
  );
  await waitFor(p.options(server.run));
  const printed = p.reports.filter((r) => r.startsWith('  ')).map((r) => r.trim());
  assert.equal(printed, [
    'prepare: a',
    'prepare: b',
    'prepare: c',
    'prepare: d',
    'prepare: resumed',
    'firstboot finished: ok',
  ]);
});

test.run();
