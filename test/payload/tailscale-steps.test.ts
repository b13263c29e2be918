// ssh_via_tailnet_only across the steps around tailscale's: the firewall step keeps SSH and mosh public until
// the tailnet rules are in, the ssh step proves sshd on the tailnet address, and turning it off again.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { firewallPlan } from '../../generator/capabilities/firewall';
import { tailscale } from '../../payload/steps/tailscale';
import { firewall } from '../../payload/steps/firewall';
import { ssh } from '../../payload/steps/ssh';
import { sshPlan } from '../../generator/capabilities/ssh';
import { sshHost } from './ssh-host';
import { fakeServer, type ServerState } from '../fakes/server';
import { fw, params, UFW_DEFAULTS, machine, giveSecret } from './tailscale-machine';

test(
  'ssh_via_tailnet_only turned off again: ' + 'the tailnet-only rules go (the firewall step reopened SSH before)',
  async () => {
    const { ctx, state, m, lockouts } = machine();
    giveSecret(ctx);
    await tailscale.apply(ctx);
    const open = { ...params, tailnetOnly: [] };
    const fwOpen = firewallPlan({
      sshPort: 2222,
      mosh: { ports: '60000:60010' },
      allow: [{ port: '443', proto: 'tcp' }],
    });
    ctx.fs.seed('/etc/default/ufw', UFW_DEFAULTS);
    ctx.$.on('systemctl is-enabled --quiet ufw', {}).on('sshd -T', { stdout: 'port 2222\n' });
    await firewall.apply({ ...ctx, params: fwOpen });
    const again = { ...ctx, params: open };
    assert.match((await tailscale.check(again)).join('\n'), /ufw still has 2222\/tcp on tailscale0 only/);
    await tailscale.apply(again);
    assert.equal(state.ufw.rules.map((r) => r.replace(/ comment .*$/, '')).sort(), [
      'allow 443/tcp',
      'allow 60000:60010/udp',
      'limit 2222/tcp',
    ]);
    assert.not.ok(ctx.fs.files.has('/var/lib/firstboot/tailnet-name'));
    assert.equal(await tailscale.check(again), []);
    assert.equal(lockouts, []);
    assert.ok(m.installed);
  },
);

test(
  'until the tailnet rules are in, ' + 'the firewall step keeps SSH and mosh public, tailnet-only plan or not',
  async () => {
    const { ctx } = machine();
    ctx.fs.seed('/etc/default/ufw', UFW_DEFAULTS);
    ctx.$.on('systemctl is-enabled --quiet ufw', {}).on('sshd -T', { stdout: 'port 2222\n' });
    assert.equal(await firewall.check({ ...ctx, params: fw }), []);
    const empty = (ufw: string) => `-P INPUT DROP\n-P FORWARD DROP\n-P OUTPUT ACCEPT\n-N ${ufw}-user-input\n`;
    ctx.$.on('iptables -w -S', { stdout: empty('ufw') }).on('ip6tables -w -S', { stdout: empty('ufw6') });
    assert.match((await firewall.verify({ ...ctx, params: fw })).join('\n'), /ufw does not limit 2222\/tcp over IPv4/);
  },
);

test(
  'SSH on the tailnet only: the ssh step proves sshd on the tailnet address, ' +
    'since no probe can arrive on tailscale0',
  async () => {
    const ctx = sshHost(sshPlan({ port: 2222, admin: 'fx' }));
    const state: ServerState = {
      ufw: {
        active: true,
        rules: ["allow in on tailscale0 to any port 2222 proto tcp comment 'firstboot tailnet ssh'"],
      },
      listening: 2222,
      tailnet: true,
    };
    fakeServer(ctx.$, ctx.fs, state);
    ctx.$.on(/^sshd -T -C /, { stdout: '' });
    assert.not.ok((await ssh.verify(ctx)).some((p) => /does not answer/.test(p)));
    // off the tailnet, the same rules let nobody in
    state.tailnet = false;
    assert.ok((await ssh.verify(ctx)).includes('sshd does not answer on port 2222'));
  },
);

test.run();
