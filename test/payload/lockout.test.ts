// Lockout rules 2 and 3 (docs/ARCHITECTURE.md) across the two steps that can break them, command by
// command: the ssh step then the firewall step, as the plan orders them, on one stateful server (test/fakes/server.ts)
// where only a rule that is in lets a client reach sshd. After every change the admin must still
// have a way in.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { FirewallPlan } from '../../contract/plan';
import { sshPlan } from '../../generator/capabilities/ssh';
import { firewallPlan } from '../../generator/capabilities/firewall';
import { ssh, answerWait } from '../../payload/steps/ssh';
import { firewall } from '../../payload/steps/firewall';
import { fakeServer, type ServerState } from '../fakes/server';
import { sshHost } from './ssh-host';

answerWait.pauseMs = 0;

/** Debian 12's /etc/default/ufw with firstboot's policies and IPv6 on */
const UFW_DEFAULTS =
  'IPV6=yes\nDEFAULT_INPUT_POLICY="DROP"\nDEFAULT_OUTPUT_POLICY="ACCEPT"\nDEFAULT_FORWARD_POLICY="DROP"\n';

async function converge(port: number, state: ServerState) {
  const ctx = sshHost(sshPlan({ port, admin: 'fx' }));
  ctx.fs.seed('/etc/default/ufw', UFW_DEFAULTS);
  const server = fakeServer(ctx.$, ctx.fs, state);
  ctx.$.on('systemctl is-enabled --quiet ufw', { exitCode: 0 });
  const fw: FirewallPlan = firewallPlan({ sshPort: port, mosh: false, allow: [] });
  const steps: string[] = [];
  for (const [name, run] of [
    ['ssh', () => ssh.apply(ctx)],
    ['firewall', () => firewall.apply({ ...ctx, params: fw })],
  ] as const) {
    await run().then(
      () => steps.push(`${name} ok`),
      (err: Error) => steps.push(`${name} failed: ${err.message}`),
    );
  }
  return { ...server, steps, ctx };
}

const active = (...rules: string[]) => ({ active: true, rules });

for (const [from, to, rules] of [
  [22, 2222, [] as string[]],
  [22, 2222, ["limit 22/tcp comment 'firstboot ssh'"]],
  [2222, 22, ["limit 2222/tcp comment 'firstboot ssh'"]],
  [2222, 222, ["limit 2222/tcp comment 'firstboot ssh'"]],
] as const) {
  test(
    `sshd ${from} -> ${to} with ufw ${rules.length ? 'allowing ' + rules.join(', ') : 'off'}: ` +
      `never a moment without a way in`,
    async () => {
      const state: ServerState = {
        ufw: rules.length ? active(...rules) : { active: false, rules: [] },
        listening: from,
      };
      const { lockouts, steps } = await converge(to, state);
      assert.equal(lockouts, []);
      assert.equal(steps, ['ssh ok', 'firewall ok']);
      assert.is(state.listening, to);
      assert.ok(state.ufw.active);
      // the old port's rule of ours is gone once sshd has moved; nothing else was left open
      assert.equal(
        state.ufw.rules.map((r) => r.replace(/ comment .*$/, '')),
        [`limit ${to}/tcp`],
      );
    },
  );
}

test('ufw limit failing: sshd stays where the firewall lets it in, and both steps say why', async () => {
  const state: ServerState = { ufw: active("limit 22/tcp comment 'firstboot ssh'"), listening: 22, limitFails: true };
  const { lockouts, steps, ctx } = await converge(2222, state);
  assert.equal(lockouts, []);
  assert.is(state.listening, 22);
  assert.equal(state.ufw.rules, ["limit 22/tcp comment 'firstboot ssh'"]);
  assert.match(steps[0]!, /^ssh failed: kept the old sshd configuration: the firewall did not open port 2222/);
  assert.match(steps[1]!, /^firewall failed: .*Could not update running firewall/);
  // and nothing on disk would move sshd at the next boot
  assert.not.ok(/^Port 2222$/m.test(ctx.fs.files.get('/etc/ssh/sshd_config.d/00-firstboot.conf')?.content ?? ''));
});

test('a limit rule ufw skips without an error: the firewall is not enabled, nor the old rule removed', async () => {
  // first boot: ufw off while sshd moves, then the firewall step's rule for 2222 never goes in
  const off: ServerState = { ufw: { active: false, rules: [] }, listening: 22, limitSkipped: true };
  const first = await converge(2222, off);
  assert.equal(first.lockouts, []);
  assert.is(off.ufw.active, false);
  assert.match(
    first.steps[1]!,
    /^firewall failed: ufw does not hold limit 2222\/tcp \(firstboot ssh\) after adding it; ufw left off$/,
  );
  // ufw on: the ssh step sees the rule is not there and keeps sshd where it is
  const on: ServerState = { ufw: active("limit 22/tcp comment 'firstboot ssh'"), listening: 22, limitSkipped: true };
  const again = await converge(2222, on);
  assert.equal(again.lockouts, []);
  assert.is(on.listening, 22);
  assert.equal(on.ufw.rules, ["limit 22/tcp comment 'firstboot ssh'"], 'the old rule stays');
  assert.match(
    again.steps[0]!,
    /^ssh failed: kept the old sshd configuration: the firewall did not open port 2222: ufw does not list a rule for 2222\/tcp/,
  );
  assert.match(again.steps[1]!, /no rule removed$/);
});

test('the fake server itself sees a lockout: sshd moved past a firewall that does not let it in', async () => {
  const state: ServerState = { ufw: active("limit 22/tcp comment 'firstboot ssh'"), listening: 22 };
  const ctx = sshHost(sshPlan({ port: 2222, admin: 'fx' }));
  const server = fakeServer(ctx.$, ctx.fs, state);
  ctx.fs.seed('/etc/ssh/sshd_config.d/00-firstboot.conf', 'Port 2222\n');
  await ctx.$`systemctl reload ssh`;
  assert.equal(server.lockouts, [
    'after "systemctl reload ssh": sshd listens on 2222, which ufw (limit 22/tcp comment \'firstboot ssh\') does ' +
      'not let in',
  ]);
});

test.run();
