// Scenarios 1 and 4, through the Hetzner side: `firstboot create --wait` with the default config (only
// an SSH key) plus a console password, against the fake API, whose server boots bookworm with the
// user_data it received. The CLI trusts only the host key it generated and waits for the payload over
// SSH (as root until the payload has made the admin: no failed login for fail2ban to count); the
// first run waits for the password's secret, which create then sends over the admin's login and runs
// the payload once more. Then every check, and a second run on the hardened server must change nothing;
// after a reboot, `firstboot check` and the checks of the firewall, the metadata block and fail2ban run on
// what the boot brought up.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import yaml from 'js-yaml';
import { join } from 'node:path';
import { asAdmin, pace, PER_WINDOW, sudo, type Expect, WINDOW_MS, windowPasses } from './access';
import {
  checkConsoleLogin,
  checkFail2banLast,
  checkInside,
  checkLogins,
  checkRerun,
  checkSshAudit,
  hostKey,
} from './checks';
import { withCloud } from './cloud';
import { powerCycle } from './scenario';
import { keyPair, planOf } from './userdata';
import type { Vm } from './vm';
import { sshRunner } from '../../ssh/run';

const METADATA = 'timeout 5 bash -c "exec 3<>/dev/tcp/169.254.169.254/80" && echo open || echo blocked';
// a network namespace routed through the guest, as a container is; no single quotes (sh -c '...')
const CONTAINER = [
  'set -e; ip netns add box; ip link add fb0 type veth peer name fb1 netns box',
  'ip addr add 10.99.0.1/24 dev fb0; ip link set fb0 up',
  'ip -n box addr add 10.99.0.2/24 dev fb1; ip -n box link set fb1 up; ip -n box route add default via 10.99.0.1',
  'sysctl -qw net.ipv4.ip_forward=1; iptables -t nat -I POSTROUTING -s 10.99.0.0/24 -j MASQUERADE',
  'iptables -I FORWARD -i fb0 -j ACCEPT; iptables -I FORWARD -o fb0 -j ACCEPT',
  'for to in repository:169.254.169.253 metadata:169.254.169.254; do',
  '  ip netns exec box timeout 5 bash -c "exec 3<>/dev/tcp/${to#*:}/80" 2>/dev/null && echo "${to%%:*} open" || ' +
    'echo "${to%%:*} blocked"',
  'done',
  'iptables -D FORWARD -i fb0 -j ACCEPT; iptables -D FORWARD -o fb0 -j ACCEPT; iptables -t nat -D POSTROUTING -s ' +
    '10.99.0.0/24 -j MASQUERADE',
  'sysctl -qw net.ipv4.ip_forward=0; ip link del fb0; ip netns del box',
].join('\n');

test(
  'bookworm, default config and a console password, firstboot create --wait: ' +
    'hardened, host key trusted from the start, the secret sent after; a re-run changes nothing; a reboot keeps it',
  async () => {
    const key = await keyPair();
    const config = join(mkdtempSync(join(tmpdir(), 'firstboot-create-')), 'firstboot.yaml');
    writeFileSync(config, 'admin:\n  password: secret:console\n');
    // the CLI's environment is made when the cloud starts
    process.env.CONSOLE_PW = `pw-${randomBytes(12).toString('hex')}`;
    await withCloud({ suite: 'bookworm', key, guestPorts: [22] }, async (cloud) => {
      const start = performance.now();
      const created = await cloud.cli([
        'create',
        'dev1',
        '-c',
        config,
        '--ssh-key',
        key.public,
        '--image',
        'debian-12',
        '--wait',
        '--secret',
        'console=env:CONSOLE_PW',
        '-o',
        'json',
      ]);
      assert.is(created.code, 0, `create --wait exited ${created.code}:\n${created.stderr}`);
      const result = JSON.parse(created.stdout) as { status: { ok: boolean; steps: { id: string; result: string }[] } };
      console.log(`# create --wait: hardened and confirmed in ${((performance.now() - start) / 1000).toFixed(0)} s`);
      assert.is(result.status.ok, true);
      assert.equal(
        result.status.steps.filter((s) => s.result === 'failed'),
        [],
      );
      // the run after the secret was sent set the password (the first one waited for it: see below)
      assert.is(result.status.steps.find((s) => s.id === 'admin')!.result, 'changed');
      assert.not.ok((created.stdout + created.stderr).includes(process.env.CONSOLE_PW!), 'the CLI printed the secret');

      const [{ vm, userData, server }] = cloud.vms;
      const e: Expect = { plan: planOf(userData), key };
      assert.not.ok(userData.includes(process.env.CONSOLE_PW!), 'the user-data holds the secret');
      // the CLI's last tries count against ufw's limit (6 connections in 30 s) too: let the window pass
      await windowPasses();
      // the key pinned in the user-data was replaced after the first login: the server answers with
      // the one the CLI learnt over that login, and holds the pinned one nowhere in /etc/ssh
      const known = readFileSync(join(cloud.home, '.ssh/known_hosts'), 'utf8');
      const pinned = (yaml.load(userData) as { ssh_keys: { ed25519_public: string } }).ssh_keys.ed25519_public
        .split(' ')
        .slice(0, 2)
        .join(' ');
      assert.match(known, new RegExp(`^${server.ipv4} ssh-ed25519 \\S+\n$`));
      assert.is.not(known.trim().replace(`${server.ipv4} `, ''), pinned);
      assert.is(await hostKey(vm, 22), known.trim().replace(`${server.ipv4} `, ''));
      assert.match(
        readFileSync(join(cloud.home, '.ssh/config'), 'utf8'),
        new RegExp(`Host dev1\\n  HostName ${server.ipv4}\\n  User admin\\n`),
      );

      await checkLogins(vm, e);
      assert.is((await sudo(vm, e, 'passwd -S admin')).split(' ')[1], 'P', 'the console password is not set');
      await checkConsoleLogin(vm, e, process.env.CONSOLE_PW!);
      assert.match(await sudo(vm, e, 'grep -c "admin .*waiting for secret console" /var/log/firstboot.log'), /^1\n$/);
      // the user-data holds the host key's private half: only root may read the metadata service
      assert.is((await asAdmin(vm, e, METADATA)).trim(), 'blocked', 'the admin reads the metadata service');
      assert.is((await sudo(vm, e, METADATA)).trim(), 'open', 'root cannot read the metadata service');
      assert.is(
        (await sudo(vm, e, `grep -rlF ${pinned.split(' ')[1]} /etc/ssh || echo none`)).trim(),
        'none',
        'the pinned key is still in /etc/ssh',
      );
      await checkInside(vm, e);
      await checkSshAudit(vm, e);
      await checkRerun(vm, e);
      // from here on, what a boot brings up: ufw from its files, the metadata block's unit, fail2ban
      await powerCycle(vm);
      await sudo(vm, e, 'firstboot check');
      // a container's traffic, forwarded as Docker does it (forwarding on, NAT, FORWARD accepted), reaches
      // the repository but not the metadata service; everything is put back before fail2ban's check
      assert.equal((await sudo(vm, e, `sh -c '${CONTAINER}'`)).trim().split('\n'), [
        'repository open',
        'metadata blocked',
      ]);
      await checkSshLimit(vm, cloud.env, server.ipv4);
      await checkFail2banLast(vm, e);
    });
  },
);

/**
 * ufw's limit on SSH is there, and the CLI's logins keep within it: six unpaced logins in a row lose the
 * sixth; six through the CLI's own runner (ssh/pace.ts paces them) all get in.
 */
async function checkSshLimit(vm: Vm, env: NodeJS.ProcessEnv, address: string): Promise<void> {
  const target = {
    name: address,
    user: 'admin',
    hostname: address,
    port: 22,
    hostKeyAlias: address,
    knownHosts: join(env.HOME!, '.ssh/known_hosts'),
    pinned: true,
  };
  const logins = async (run: ReturnType<typeof sshRunner>) => {
    const codes: number[] = [];
    for (let i = 0; i < 6; i++) codes.push((await run(target, 'true')).code);
    return codes;
  };
  const path = process.env.PATH;
  process.env.PATH = env.PATH; // the user's ssh, which reaches the address
  try {
    // the checks' own connections leave the window first
    await pace(vm, PER_WINDOW);
    const seconds = (since: number) => ((performance.now() - since) / 1000).toFixed(0);
    let start = performance.now();
    assert.equal(await logins(sshRunner(target, async () => {})), [0, 0, 0, 0, 0, 255], 'ufw let a sixth login in');
    console.log(`# ufw's limit: six logins in a row, the sixth dropped (${seconds(start)} s)`);
    await windowPasses();
    start = performance.now();
    assert.equal(await logins(sshRunner(target)), [0, 0, 0, 0, 0, 0]);
    assert.ok(performance.now() - start > WINDOW_MS, 'six logins in one window');
    console.log(`# ufw's limit: six logins through the CLI's runner, all in (${seconds(start)} s)`);
    // the checks' pacing does not know the runner's
    await windowPasses();
  } finally {
    process.env.PATH = path;
  }
}

test.run();
