// The tailscale step on a recording shell, an in-memory file system and the stateful server of
// test/fakes/server.ts (tailscale-machine.ts): the join with the auth key read from its file, and public SSH
// closed only once SSH answers on the tailnet and the owner logged in through it (lockout rule 5,
// docs/ARCHITECTURE.md). The key and the repository are in tailscale-key.test.ts, the firewall and ssh
// steps around it in tailscale-steps.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { StepId, TailscalePlan } from '../../contract/plan';
import type { Step } from '../../payload/step';
import { run } from '../../payload/runner';
import { firewallPlan } from '../../generator/capabilities/firewall';
import { KEYRING, tailscale } from '../../payload/steps/tailscale';
import { firewall } from '../../payload/steps/firewall';
import { ssh } from '../../payload/steps/ssh';
import { sshPlan } from '../../generator/capabilities/ssh';
import { sshHost } from './ssh-host';
import { rejects } from '../rejects';
import {
  KEY,
  SECRET,
  fw,
  params,
  PUBLIC,
  LIST,
  UFW_DEFAULTS,
  machine,
  giveSecret,
  loginThrough,
  converge,
} from './tailscale-machine';

test(
  'a fresh server: the checked key, the tried repository, the join from the key file, ' +
    'SSH and mosh on the tailnet, and public only until the owner logged in through it',
  async () => {
    const { ctx, state, m, lockouts } = machine();
    giveSecret(ctx);
    const drift = await tailscale.check(ctx);
    assert.equal(drift, [`${KEYRING} is missing`, `${LIST} is missing`, 'tailscale is not installed']);
    await tailscale.apply(ctx);

    assert.equal(m.fetched, ['http://repo.test/tailscale/debian/bookworm.noarmor.gpg']);
    assert.equal(m.keyring, KEY);
    assert.is(
      (ctx.fs.files.get(LIST)?.content ?? '').split('\n').slice(1).join('\n'),
      `deb [signed-by=${KEYRING}] http://repo.test/tailscale/debian bookworm main\n`,
    );
    assert.not.ok(ctx.fs.files.has('/run/firstboot-tailscale.list'), 'the candidate list is left');
    const up = ctx.$.commands.find((c) => c.startsWith('tailscale up'));
    assert.is(
      up,
      'tailscale up --auth-key=file:/var/lib/firstboot/secrets/tailscale --hostname=web1 --accept-dns=false',
    );
    assert.not.ok(
      ctx.$.commands.some((c) => c.includes(SECRET)),
      'the auth key was on a command line',
    );
    // the keyscan before any rule went in; the tailnet rules in, the public ones kept: no login through the tailnet yet
    const at = (re: RegExp) => ctx.$.commands.findIndex((c) => re.test(c));
    assert.ok(at(/^ssh-keyscan/) < at(/^ufw allow in on tailscale0/));
    assert.equal(state.ufw.rules, [
      ...PUBLIC,
      "allow in on tailscale0 to any port 2222 proto tcp comment 'firstboot tailnet ssh'",
      "allow in on tailscale0 to any port 60000:60010 proto udp comment 'firstboot tailnet mosh'",
    ]);
    assert.is(ctx.fs.files.get('/var/lib/firstboot/tailnet-name')?.content, 'web1.example-tailnet.ts.net\n');
    assert.equal(await tailscale.check(ctx), []);
    assert.ok(
      ctx.waiting.some((w) =>
        w.startsWith('a login through the tailnet name web1.example-tailnet.ts.net: SSH and mosh stay public'),
      ),
      ctx.waiting.join('\n'),
    );
    assert.equal(await tailscale.verify(ctx), []);
    // the firewall step keeps them public as well
    const fwCtx = { ...ctx, params: fw };
    ctx.fs.seed('/etc/default/ufw', UFW_DEFAULTS);
    ctx.$.on('systemctl is-enabled --quiet ufw', {}).on('sshd -T', { stdout: 'port 2222\n' });
    assert.equal(await firewall.check(fwCtx), []);

    // the owner's login through the tailnet name: the next run closes the public twins
    loginThrough(ctx);
    assert.match(
      (await tailscale.check(ctx)).join('\n'),
      /ufw still lets anyone reach 2222\/tcp \(firstboot ssh\), though the owner's login through the tailnet is proven/,
    );
    assert.equal(await converge(ctx, tailscale), []);
    assert.equal(state.ufw.rules, [
      "allow 443/tcp comment 'firstboot allow'",
      "allow in on tailscale0 to any port 2222 proto tcp comment 'firstboot tailnet ssh'",
      "allow in on tailscale0 to any port 60000:60010 proto udp comment 'firstboot tailnet mosh'",
    ]);
    assert.equal(lockouts, []);
    assert.equal(await tailscale.verify(ctx), []);
    // the firewall step's next run agrees: the public rules stay closed, nothing it calls drift
    assert.equal(await firewall.check(fwCtx), []);
  },
);

test(
  "a login file whose server end is not the node's tailnet address (written over public SSH) " +
    'proves nothing: SSH stays public',
  async () => {
    const { ctx, state } = machine();
    giveSecret(ctx);
    loginThrough(ctx, '203.0.113.5');
    await tailscale.apply(ctx);
    assert.ok(state.ufw.rules.includes("limit 2222/tcp comment 'firstboot ssh'"));
    ctx.fs.seed('/etc/default/ufw', UFW_DEFAULTS);
    ctx.$.on('systemctl is-enabled --quiet ufw', {}).on('sshd -T', { stdout: 'port 2222\n' });
    assert.equal(await firewall.check({ ...ctx, params: fw }), []);
    // until that login, the firewall step puts public SSH back where it went
    state.ufw.rules = state.ufw.rules.filter((r) => !r.startsWith('limit 2222/tcp'));
    assert.equal(await converge({ ...ctx, params: fw }, firewall), []);
    assert.ok(state.ufw.rules.includes("limit 2222/tcp comment 'firstboot ssh'"));
    // over IPv6 it counts, as over IPv4; closing public SSH is the
    // tailscale step's (it proved sshd there), not the firewall's
    loginThrough(ctx, 'fd7a:115c:a1e0::7');
    await firewall.apply({ ...ctx, params: fw });
    assert.ok(state.ufw.rules.includes("limit 2222/tcp comment 'firstboot ssh'"));
    assert.equal(await converge(ctx, tailscale), []);
    assert.not.ok(state.ufw.rules.includes("limit 2222/tcp comment 'firstboot ssh'"));
    assert.ok(
      ctx.lines.some((l) => l.includes('tailscale: SSH goes through the tailnet only: web1.example-tailnet.ts.net')),
    );
  },
);

test(
  'SSH moved on a tailnet-only server: the new port is public until its tailnet rule is in, ' +
    'then on the tailnet only, and never a moment without a way in',
  async () => {
    const { ctx, state, lockouts } = machine(params, { ctx: sshHost(sshPlan({ port: 2200, admin: 'fx' })) });
    const at = (params: TailscalePlan) => ({ ...ctx, params });
    // tailnet-only on 2222, the owner's login through the tailnet proven
    giveSecret(ctx);
    await tailscale.apply(at(params));
    loginThrough(ctx);
    assert.equal(await converge(at(params), tailscale), []);
    ctx.fs.seed('/etc/default/ufw', UFW_DEFAULTS);
    ctx.$.on('systemctl is-enabled --quiet ufw', {});

    // the plan moves SSH to 2200: the ssh, firewall and tailscale steps in the plan's order
    const moved = firewallPlan({
      sshPort: 2200,
      mosh: { ports: '60000:60010' },
      allow: [{ port: '443', proto: 'tcp' }],
      tailnetOnly: true,
    });
    const tailnetMoved = { ...params, tailnetOnly: moved.rules.filter((r) => r.tailnet) };
    await ssh.apply(ctx);
    assert.is(state.listening, 2200);
    assert.equal(await converge({ ...ctx, params: moved }, firewall), []);
    assert.ok(
      state.ufw.rules.includes("limit 2200/tcp comment 'firstboot ssh'"),
      'the firewall closed the new port before its tailnet rule was in',
    );
    assert.equal(await converge(at(tailnetMoved), tailscale), []);

    assert.equal(lockouts, []);
    const step = (re: RegExp) => ctx.$.commands.findIndex((c) => re.test(c));
    assert.ok(
      step(/^ufw allow in on tailscale0 to any port 2200 proto tcp/) < step(/^ufw --force delete limit 2200\/tcp$/),
    );
    assert.ok(
      step(/^ufw allow in on tailscale0 to any port 2200 proto tcp/) <
        step(/^ufw --force delete allow in on tailscale0 to any port 2222 /),
    );
    assert.equal(state.ufw.rules, [
      "allow 443/tcp comment 'firstboot allow'",
      "allow in on tailscale0 to any port 60000:60010 proto udp comment 'firstboot tailnet mosh'",
      "allow in on tailscale0 to any port 2200 proto tcp comment 'firstboot tailnet ssh'",
    ]);
    assert.equal(await firewall.check({ ...ctx, params: moved }), []);
  },
);

test('already joined: no tailscale up, and the key file is not needed', async () => {
  const { ctx, m } = machine({ ...params, tailnetOnly: [] });
  m.backend = 'Running';
  await tailscale.apply(ctx);
  assert.not.ok(ctx.$.commands.some((c) => c.startsWith('tailscale up')));
  assert.equal(await tailscale.check(ctx), []);
});

test(
  'no auth key yet: installed and running, not joined, public SSH left open, check has no drift to chase, ' +
    'and verify no problem: the step waits for its secret (a first boot from user-data), it has not failed',
  async () => {
    const { ctx, state, m } = machine();
    await tailscale.apply(ctx);
    assert.ok(m.installed && m.daemon);
    assert.not.ok(ctx.$.commands.some((c) => c.startsWith('tailscale up')));
    assert.equal(state.ufw.rules, PUBLIC);
    assert.equal(await tailscale.check(ctx), []);
    assert.equal(await tailscale.verify(ctx), []);
    // the runner's result: waiting for the secret, as the first boot from user-data reports it
    const status = await run(ctx.plan, new Map<StepId, Step<any>>([['tailscale', tailscale]]), {
      $: ctx.$,
      fs: ctx.fs,
      log: ctx.log,
    });
    assert.is(status.steps[0].result, 'waiting', status.steps[0].error);
    assert.match(status.steps[0].error ?? '', /^waiting for secret tailscale /);
    // with the key and still not joined, verify names it
    giveSecret(ctx);
    assert.match((await tailscale.verify(ctx)).join('\n'), /the node is not in the tailnet \(NeedsLogin\)/);
  },
);

test('sshd not answering on the tailnet address: SSH stays public, no rule moved', async () => {
  const { ctx, state } = machine(params, { sshd: false });
  giveSecret(ctx);
  await rejects(
    () => tailscale.apply(ctx),
    /sshd does not answer on the tailnet address \(100\.64\.0\.7\) port 2222; SSH stays public/,
  );
  assert.equal(state.ufw.rules, PUBLIC);
  assert.not.ok(ctx.fs.files.has('/var/lib/firstboot/tailnet-name'));
});

test('ufw answers but holds no tailnet rule: SSH stays public', async () => {
  const { ctx, state } = machine();
  giveSecret(ctx);
  ctx.$.on(/^ufw allow in on tailscale0 /, { stdout: 'Skipping adding existing rule\n' });
  await rejects(() => tailscale.apply(ctx), /ufw does not hold SSH on tailscale0 after adding it; SSH stays public/);
  assert.equal(state.ufw.rules, PUBLIC);
});

test('a node still starting after tailscale up: the step waits for it before it looks for its address', async () => {
  const { ctx, m, state } = machine();
  giveSecret(ctx);
  let looks = 0;
  ctx.$.on(/^tailscale up /, () => ((m.backend = 'Starting'), {})).on('tailscale status --json', () => {
    if (m.backend === 'Starting' && ++looks === 3) (m.backend = 'Running'), (state.tailnet = true);
    return {
      stdout: JSON.stringify(
        m.backend === 'Running'
          ? {
              BackendState: 'Running',
              Self: { DNSName: 'web1.example-tailnet.ts.net.', TailscaleIPs: ['100.64.0.7'], Online: true },
            }
          : { BackendState: m.backend, Self: { TailscaleIPs: null } },
      ),
    };
  });
  await tailscale.apply(ctx);
  assert.is(looks, 3);
  assert.ok(ctx.$.commands.some((c) => c.startsWith('ufw allow in on tailscale0')));
});

test.run();
