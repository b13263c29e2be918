// firstboot create --wait, against the fake API and a fake server's ssh (setup.ts), once the boot's run is
// followed: the edge firewall closed once that is safe (22 while sshd may still be there, public SSH once the
// tailnet is proven), and the run again over SSH where secrets, the owner's address or steps wait.
import * as assert from 'uvu/assert';
import { readFile, writeFile } from 'node:fs/promises';
import { END } from '../../apply/remote';
import { PIECES_PENDING, TAILNET_LOGIN_PENDING } from '../../contract/status';
import { create } from '../../hcloud/create';
import { LeftBehindError } from '../../hcloud/api/errors';
import type { RunRemote } from '../../ssh/run';
import {
  createSuite,
  defaultYaml,
  edgeTcpPorts,
  fakeServerSsh,
  kindOf,
  nextHostKey,
  statusOf,
  tailnetOnlyYaml,
  type CreateContext,
} from './setup';
import { rejection } from '../rejects';
import { options, at, calls, follows, hostKeySteps, done, failed, moved, stayed } from './create-wait-setup';

// the spec ledger is checked by the last test
const { test, spec } = createSuite('firstboot create --wait: the edge and the run again');

test(
  'firewall with another SSH port: ' + '22 stays open at the edge until a login on the new port proves sshd moved',
  async (c) => {
    const server = fakeServerSsh(moved({ status: done }));
    const result = await create(options(c, server.run, { firewall: true }));
    assert.equal(follows(server), ['root@22', 'ops@2222']);
    assert.equal(edgeTcpPorts(c, result.firewall!.id), ['2222', '443']);
    assert.ok(
      c.reports.includes('closed port 22 in firewall firstboot-web-1: sshd answers on 2222'),
      c.reports.join('\n'),
    );
    assert.ok(c.fake.requests.some((r) => r.path === `/firewalls/${result.firewall!.id}/actions/set_rules`));
  },
);

test(
  'firewall, and the ssh step fails: ' +
    'sshd stays on 22, the edge keeps 22 open, and the wait finds the result there',
  async (c) => {
    const server = fakeServerSsh(stayed({ status: failed }));
    const result = await create(options(c, server.run, { firewall: true }));
    assert.is(result.status!.ok, false);
    const fromEdge = edgeTcpPorts(c, result.firewall!.id);
    assert.ok(fromEdge.includes('22') && fromEdge.includes('2222'), `edge tcp ports: ${fromEdge}`);
    assert.ok(
      c.reports.some((r) => /keeps port 22 open: the payload failed/.test(r)),
      c.reports.join('\n'),
    );
    // the host key is replaced over the login that works after the run: the admin on 22, where sshd stayed
    assert.equal(calls(server), ['boot root@22', 'proof ops@2222', 'proof ops@22', ...hostKeySteps('ops@22')]);
    assert.is(server.keys.current, nextHostKey);
  },
);

test('firewall, and the wait answered only on 22 though the run says ok: the edge keeps 22 open', async (c) => {
  // sshd may still listen on 22 only (a port the ssh step could
  // not prove): an edge that closed 22 would shut the owner out
  const server = fakeServerSsh(stayed({ status: done }));
  const result = await create(options(c, server.run, { firewall: true }));
  assert.is(result.status!.ok, true);
  assert.equal(edgeTcpPorts(c, result.firewall!.id).sort(), ['22', '2222', '443']);
  assert.not.ok(c.fake.requests.some((r) => r.path.endsWith('/set_rules')));
  assert.ok(
    c.reports.includes('firewall firstboot-web-1 keeps port 22 open: sshd answered on 22, not on 2222'),
    c.reports.join('\n'),
  );
});

test('firewall on port 22: no bridge rule, nothing to close', async (c) => {
  await writeFile(c.config, defaultYaml.replace('port: 2222', 'port: 22'));
  const result = await create(options(c, fakeServerSsh(() => ({ status: done })).run, { firewall: true }));
  assert.equal(edgeTcpPorts(c, result.firewall!.id), ['22', '443']);
  assert.not.ok(c.fake.requests.some((r) => r.path.endsWith('/set_rules')));
});

test(
  "wait with a secret: sent after the wait over the admin's login, " +
    'on stdin, and the run that follows converges what waited',
  async (c) => {
    await writeFile(c.config, defaultYaml.replace('  name: ops\n', '  name: ops\n  password: secret:console\n'));
    const waited = statusOf(true, [{ id: 'admin', result: 'waiting' }]);
    const converged = statusOf(true, [{ id: 'admin', result: 'changed' }]);
    const server = fakeServerSsh((call) =>
      moved(call.kind === 'boot' ? { status: waited } : { log: ['[INFO] admin changed'], status: converged })(call),
    );
    const result = await create(options(c, server.run, { secrets: new Map([['console', 'correct horse battery']]) }));
    assert.equal(result.status, converged);
    // after the host key was replaced: the login is trusted by the new key only
    assert.equal(calls(server), [
      'boot root@22',
      'boot ops@2222',
      'proof ops@2222',
      ...hostKeySteps('ops@2222'),
      'start ops@2222',
    ]);
    const start = server.calls.at(-1)!;
    assert.ok(start.input!.toString().endsWith(`correct horse battery${END}`));
    assert.not.ok(start.command.includes('correct horse'));
    assert.ok(c.reports.includes('  [INFO] admin changed'), c.reports.join('\n'));
    assert.not.ok(c.reports.some((r) => r.includes('correct horse')));
  },
);

test(
  'wait with GeoIP waiting for the owner: ' +
    "the run again over the admin's login (which records its address), with no secret",
  async (c) => {
    const waited = statusOf(true, [{ id: 'geoip', result: 'waiting' }]);
    const converged = statusOf(true, [{ id: 'geoip', result: 'changed' }]);
    const server = fakeServerSsh((call) => moved({ status: call.kind === 'boot' ? waited : converged })(call));
    const result = await create(options(c, server.run));
    assert.equal(result.status, converged);
    const starts = server.calls.filter((call) => kindOf(call.login, call.command) === 'start');
    assert.equal(starts.map(at), ['ops@2222']);
    assert.match(starts[0].command, /\/var\/lib\/firstboot\/client-address/);
    // nothing waiting, nothing to send: no second run
    const nothing = fakeServerSsh(moved({ status: done }));
    await create(options(c, nothing.run, { name: 'web-2' }));
    assert.not.ok(
      calls(nothing).some((call) => call.startsWith('start')),
      calls(nothing).join('\n'),
    );
  },
);

test(
  "wait with steps waiting for firstboot's pieces (the source was down): " +
    'the run again over SSH, which carries them all',
  async (c) => {
    const error = `waiting for ${PIECES_PENDING} npm (https://registry.npmjs.org/): HTTP 404`;
    const waited = statusOf(true, [{ id: 'fail2ban', result: 'waiting', seconds: 0, error }]);
    const converged = statusOf(true, [{ id: 'fail2ban', result: 'changed', seconds: 3 }]);
    const server = fakeServerSsh((call) => moved({ status: call.kind === 'boot' ? waited : converged })(call));
    const result = await create(options(c, server.run));
    assert.is(calls(server).filter((call) => call.startsWith('start')).length, 1);
    assert.equal(result.status, converged);
  },
);

const tailnetName = 'web-1.example-tailnet.ts.net';

const tailscale = (result: string, error?: string) =>
  statusOf(true, [{ id: 'tailscale', result, ...(error && { error }) }]);

const tailnetOptions = (c: CreateContext, run: RunRemote) =>
  options(c, run, { firewall: true, secrets: new Map([['tailscale', 'tskey-auth-x']]) });

test(
  'ssh_via_tailnet_only with the auth key: ' +
    'once the run went through the tailnet, the edge closes SSH and mosh and the Host block leads there',
  async (c) => {
    await writeFile(c.config, tailnetOnlyYaml);
    const server = fakeServerSsh((call) =>
      moved(
        call.kind === 'boot'
          ? { status: tailscale('waiting', 'waiting for secret tailscale') }
          : { tailnet: tailnetName, status: tailscale('changed') },
      )(call),
    );
    const result = await create(tailnetOptions(c, server.run));
    const edge = c.fake.firewalls.get(result.firewall!.id)!.rules.map((r) => `${r.protocol} ${r.port ?? ''}`.trim());
    assert.equal(edge, ['tcp 443', 'icmp']);
    assert.ok(
      c.reports.includes('closed ssh and mosh in firewall firstboot-web-1: they go through the tailnet'),
      c.reports.join('\n'),
    );
    assert.match(
      await readFile(c.sshConfigPath, 'utf8'),
      /Host web-1\n  HostName web-1\.example-tailnet\.ts\.net\n  User ops\n  Port 2222\n/,
    );
    assert.match(
      await readFile(c.knownHostsPath, 'utf8'),
      new RegExp(`^\\[web-1\\.example-tailnet\\.ts\\.net\\]:2222 ${nextHostKey.replace(/[+/]/g, '\\$&')}$`, 'm'),
    );
  },
);

test(
  'ssh_via_tailnet_only, but no login through the tailnet name from here: ' +
    'the edge and the Host block keep public SSH, and say until when',
  async (c) => {
    await writeFile(c.config, tailnetOnlyYaml);
    const server = fakeServerSsh((call) => {
      if (call.login.host)
        return {
          code: 255,
          stdout: '',
          stderr: `ssh: connect to host ${call.login.host} port 2222: Connection timed out`,
        };
      return moved(
        call.kind === 'boot'
          ? { status: tailscale('waiting', 'waiting for secret tailscale') }
          : {
              tailnet: tailnetName,
              status: tailscale('waiting', `waiting for ${TAILNET_LOGIN_PENDING} ${tailnetName}`),
            },
      )(call);
    });
    const result = await create(tailnetOptions(c, server.run));
    assert.equal(
      server.calls
        .filter((call) => /start|tailnet/.test(kindOf(call.login, call.command)))
        .map((call) => call.login.host),
      [undefined, tailnetName],
    );
    assert.ok(edgeTcpPorts(c, result.firewall!.id).includes('2222'));
    assert.match(
      await readFile(c.sshConfigPath, 'utf8'),
      new RegExp(`HostName ${result.server.ipv4!.replace(/\./g, '\\.')}\n`),
    );
    assert.ok(
      c.reports.some((r) =>
        /could not log in through the tailnet name web-1.example-tailnet.ts.net, so SSH and mosh stay public/.test(r),
      ),
      c.reports.join('\n'),
    );
    assert.ok(
      c.reports.some((r) =>
        /keeps ssh and mosh open until a login through the server's tailnet name has worked/.test(r),
      ),
      c.reports.join('\n'),
    );
  },
);

test(
  'a tailnet name the server reports that is not a DNS name: ' +
    'create refuses it, and the Host block, known_hosts and the edge stay as they were',
  async (c) => {
    await writeFile(c.config, tailnetOnlyYaml);
    const server = fakeServerSsh((call) =>
      moved(
        call.kind === 'boot'
          ? { status: tailscale('waiting') }
          : { tailnet: 'github.com,*', hostKey: nextHostKey, status: tailscale('changed') },
      )(call),
    );
    const error = await rejection(create(tailnetOptions(c, server.run)), LeftBehindError);
    assert.match(error.message, /reported "github.com,\*" as its tailnet name, which is not a DNS name/);
    const [made] = c.fake.servers.values();
    assert.match(await readFile(c.sshConfigPath, 'utf8'), new RegExp(`HostName ${made.ipv4!.replace(/\./g, '\\.')}\n`));
    assert.not.match(await readFile(c.knownHostsPath, 'utf8'), /github|\*/);
    assert.ok(
      [...c.fake.firewalls.values()][0].rules.some((r) => r.port === '2222'),
      'the edge closed SSH',
    );
  },
);

test('ssh_via_tailnet_only before the auth key: the edge keeps SSH open, and says until when', async (c) => {
  await writeFile(c.config, tailnetOnlyYaml);
  const result = await create(options(c, fakeServerSsh(() => ({ status: done })).run, { firewall: true }));
  assert.ok(edgeTcpPorts(c, result.firewall!.id).includes('2222'));
  assert.match(
    await readFile(c.sshConfigPath, 'utf8'),
    new RegExp(`HostName ${result.server.ipv4!.replace(/\./g, '\\.')}\n`),
  );
  assert.ok(
    c.reports.some((r) => /keeps ssh and mosh open until a login through the server's tailnet name has worked/.test(r)),
    c.reports.join('\n'),
  );
});

test('every request and answer fits the API description', () => spec.assertNone());

test.run();
