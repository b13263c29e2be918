import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { FirewallPlan } from '../../contract/plan';
import { firewall } from '../../payload/steps/firewall';
import { rejects } from '../rejects';
import { UFW_START } from '../fakes/ufw-files';
import { changes, machine, plan, planRules, STOCK_DEFAULTS, type UfwState } from './firewall-machine';

test('a second run on a converged machine changes nothing', async () => {
  const state: UfwState = {
    rules: planRules(),
    active: true,
    sshdPort: 22,
  };
  const ctx = machine(plan(22), state);
  assert.equal(await firewall.check(ctx), []);
  assert.equal(changes(ctx), []);
  assert.equal(ctx.fs.writes, []);
});

test('rules an admin added by hand are neither counted as ours nor removed', async () => {
  const state: UfwState = {
    rules: [
      'limit 22/tcp',
      "allow 8080/tcp comment 'grafana'",
      'allow from 10.0.0.0/8 to any port 5432 proto tcp',
      "allow 80/tcp comment 'firstboot allow'",
    ],
    active: true,
    sshdPort: 22,
  };
  const ctx = machine(plan(22), state);
  assert.equal(await firewall.check(ctx), [
    'ufw has no rule allow 60000:60010/udp (firstboot mosh)',
    'ufw has no rule allow 443/tcp (firstboot allow)',
    'ufw has an obsolete rule allow 80/tcp (firstboot allow)',
  ]);
  await firewall.apply(ctx);
  assert.equal(changes(ctx), [
    "ufw allow 60000:60010/udp comment 'firstboot mosh'",
    "ufw allow 443/tcp comment 'firstboot allow'",
    'ufw --force delete allow 80/tcp',
  ]);
  assert.ok(state.rules.includes("allow 8080/tcp comment 'grafana'"));
  assert.ok(state.rules.includes('allow from 10.0.0.0/8 to any port 5432 proto tcp'));
  assert.ok(state.rules.includes('limit 22/tcp'), 'the hand-made SSH limit serves as ours and stays');
  assert.equal(await firewall.check(ctx), []);
});

test('a port change keeps the old SSH rule until sshd listens on the new port', async () => {
  const state: UfwState = {
    rules: planRules(),
    active: true,
    sshdPort: 22, // the ssh step has not moved sshd (or failed to)
  };
  const ctx = machine(plan(2222), state);
  assert.equal(await firewall.check(ctx), ['ufw has no rule limit 2222/tcp (firstboot ssh)']);
  await firewall.apply(ctx);
  assert.equal(changes(ctx), ["ufw limit 2222/tcp comment 'firstboot ssh'"]);
  assert.ok(state.rules.includes("limit 22/tcp comment 'firstboot ssh'"));
  assert.equal(await firewall.check(ctx), [], 'converged for now: 22 stays open while sshd is there');

  state.sshdPort = 2222;
  assert.equal(await firewall.check(ctx), ['ufw has an obsolete rule limit 22/tcp (firstboot ssh)']);
  ctx.$.commands.length = 0;
  await firewall.apply(ctx);
  assert.equal(changes(ctx), ['ufw --force delete limit 22/tcp']);
  assert.equal(await firewall.check(ctx), []);
});

test('a fresh machine whose sshd did not move gets its current port opened too, before enabling', async () => {
  const state: UfwState = { rules: [], active: false, sshdPort: 22 };
  const ctx = machine(plan(2222), state);
  assert.ok((await firewall.check(ctx)).includes('ufw has no rule limit 22/tcp (firstboot ssh)'));
  await firewall.apply(ctx);
  assert.equal(changes(ctx), [
    "ufw limit 2222/tcp comment 'firstboot ssh'",
    "ufw limit 22/tcp comment 'firstboot ssh'",
    "ufw allow 60000:60010/udp comment 'firstboot mosh'",
    "ufw allow 443/tcp comment 'firstboot allow'",
    UFW_START,
  ]);
  assert.equal(await firewall.check(ctx), []);
});

test('when sshd -T fails, no old rule is removed and the log says why', async () => {
  const state: UfwState = {
    rules: planRules(),
    active: true,
  };
  const ctx = machine(plan(2222), state);
  assert.equal(await firewall.check(ctx), ['ufw has no rule limit 2222/tcp (firstboot ssh)']);
  await firewall.apply(ctx);
  assert.equal(changes(ctx), ["ufw limit 2222/tcp comment 'firstboot ssh'"]);
  assert.ok(state.rules.includes("limit 22/tcp comment 'firstboot ssh'"));
  assert.ok(ctx.lines.some((line) => line.includes('keeping limit 22/tcp (firstboot ssh): sshd cannot tell its port')));
});

test('IPv6 turned off and a loose incoming policy are put back, and existing rules get their IPv6 half', async () => {
  const state: UfwState = {
    rules: planRules(),
    active: true,
    sshdPort: 22,
    serviceEnabled: false,
  };
  const planted = STOCK_DEFAULTS.replace('IPV6=yes', 'IPV6=no').replace(
    'DEFAULT_INPUT_POLICY="DROP"',
    'DEFAULT_INPUT_POLICY="ACCEPT"',
  );
  const ctx = machine(plan(22), state, planted);
  assert.equal(await firewall.check(ctx), [
    '/etc/default/ufw has IPV6=no, wants yes',
    "ufw's incoming policy is accept, wants drop",
    'ufw.service is not enabled at boot',
  ]);
  await firewall.apply(ctx);
  assert.equal(changes(ctx), [
    'ufw reload',
    'ufw default deny incoming',
    "ufw limit 22/tcp comment 'firstboot ssh'",
    "ufw allow 60000:60010/udp comment 'firstboot mosh'",
    "ufw allow 443/tcp comment 'firstboot allow'",
    'systemctl enable ufw',
  ]);
  assert.is(await ctx.fs.read('/etc/default/ufw'), STOCK_DEFAULTS, 'only the two changed lines differ from stock');
  assert.equal(await firewall.check(ctx), []);
});

test('a plan without a rule for its SSH port is refused before anything changes', async () => {
  const params: FirewallPlan = { ...plan(2222), rules: plan(2222).rules.slice(1) };
  const ctx = machine(params, { rules: [], active: false, sshdPort: 22 });
  await rejects(() => firewall.apply(ctx), /no rule for the SSH port 2222\/tcp/);
  assert.equal(changes(ctx), []);
  assert.equal(ctx.fs.writes, []);
});

test.run();
