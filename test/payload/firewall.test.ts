import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { FirewallPlan } from '../../contract/plan';
import { firewall } from '../../payload/steps/firewall';
import { stepContext, type TestCtx } from './context';
import { rejects } from '../rejects';
import { UFW_LOADED } from '../fakes/server';
import { ufwRuleFiles } from '../fakes/ufw-files';

const plan = (sshPort: number): FirewallPlan => ({
  id: 'firewall',
  sshPort,
  rules: [
    { action: 'limit', port: String(sshPort), proto: 'tcp', comment: 'firstboot ssh' },
    { action: 'allow', port: '60000:60010', proto: 'udp', comment: 'firstboot mosh' },
    { action: 'allow', port: '443', proto: 'tcp', comment: 'firstboot allow' },
  ],
});

/** Debian 12's /etc/default/ufw as the package installs it (comments trimmed) */
const STOCK_DEFAULTS = `# /etc/default/ufw
IPV6=yes
DEFAULT_INPUT_POLICY="DROP"
DEFAULT_OUTPUT_POLICY="ACCEPT"
DEFAULT_FORWARD_POLICY="DROP"
DEFAULT_APPLICATION_POLICY="SKIP"
MANAGE_BUILTINS=no
IPT_SYSCTL=/etc/ufw/sysctl.conf
IPT_MODULES=""
`;

interface UfwState {
  /** the rules as `ufw show added` lists them, without the leading "ufw " */
  rules: string[];
  active: boolean;
  /** what `sshd -T` says its port is; undefined makes sshd -T fail */
  sshdPort?: number;
  serviceEnabled?: boolean;
}

/** Answers ufw, sshd -T and systemctl the way the real tools do, keeping ufw's rules and state. */
function machine(params: FirewallPlan, state: UfwState, defaults = STOCK_DEFAULTS): TestCtx<FirewallPlan> {
  const ctx = stepContext(params);
  ctx.fs.seed('/etc/default/ufw', defaults);
  const key = (rule: string) => rule.replace(/ comment .*$/, '');
  ufwRuleFiles(ctx.fs, () => state.rules);
  ctx.$.on(UFW_LOADED, () => ({ exitCode: state.active ? 0 : 1 }))
    .on(
      'ufw --force enable',
      () => ((state.active = true), { stdout: 'Firewall is active and enabled on system startup\n' }),
    )
    .on('ufw reload', { stdout: 'Firewall reloaded\n' })
    .on(/^ufw (allow|limit) /, (cmd) => {
      const rule = cmd.slice(4).replace(/'/g, '');
      const at = state.rules.findIndex((r) => key(r) === key(rule));
      if (at < 0) state.rules.push(rule.replace(/ comment (.*)$/, " comment '$1'"));
      return { stdout: at < 0 ? 'Rule added\nRule added (v6)\n' : 'Skipping adding existing rule\nRule added (v6)\n' };
    })
    .on(/^ufw --force delete /, (cmd) => {
      state.rules = state.rules.filter((r) => key(r) !== cmd.slice('ufw --force delete '.length));
      return { stdout: 'Rule deleted\nRule deleted (v6)\n' };
    })
    .on(/^ufw default /, (cmd) => {
      const [, verb, direction] = cmd.split(' ').slice(1);
      const name = { incoming: 'INPUT', outgoing: 'OUTPUT', routed: 'FORWARD' }[direction]!;
      const value = { deny: 'DROP', allow: 'ACCEPT' }[verb]!;
      const text = ctx.fs.files.get('/etc/default/ufw')!.content!;
      ctx.fs.seed(
        '/etc/default/ufw',
        text.replace(new RegExp(`^DEFAULT_${name}_POLICY=.*$`, 'm'), `DEFAULT_${name}_POLICY="${value}"`),
      );
      return { stdout: `Default ${direction} policy changed to '${verb}'\n` };
    })
    .on('sshd -T', () =>
      state.sshdPort === undefined
        ? { exitCode: 255, stderr: '/etc/ssh/sshd_config line 3: Bad configuration option: Prot\n' }
        : { stdout: `port ${state.sshdPort}\naddressfamily any\n` },
    )
    .on('systemctl is-enabled --quiet ufw', () => ({ exitCode: state.serviceEnabled === false ? 1 : 0 }))
    .on('systemctl enable ufw', () => ((state.serviceEnabled = true), {}));
  return ctx;
}

/** the commands that change the machine, in order */
const changes = (ctx: TestCtx<FirewallPlan>) =>
  ctx.$.commands.filter((cmd) => !/^(iptables -w -n -L|sshd -T|systemctl is-enabled)/.test(cmd));

test('a stock machine: rules go in, SSH first, and only then is ufw enabled', async () => {
  const state: UfwState = { rules: [], active: false, sshdPort: 22 };
  const ctx = machine(plan(22), state);
  assert.equal(await firewall.check(ctx), [
    'ufw has no rule limit 22/tcp (firstboot ssh)',
    'ufw has no rule allow 60000:60010/udp (firstboot mosh)',
    'ufw has no rule allow 443/tcp (firstboot allow)',
    'ufw is inactive',
  ]);
  await firewall.apply(ctx);
  assert.equal(changes(ctx), [
    "ufw limit 22/tcp comment 'firstboot ssh'",
    "ufw allow 60000:60010/udp comment 'firstboot mosh'",
    "ufw allow 443/tcp comment 'firstboot allow'",
    'ufw --force enable',
  ]);
  assert.equal(ctx.fs.writes, [], 'the stock defaults file already says what we want');
  assert.equal(await firewall.check(ctx), []);
});

test('a second run on a converged machine changes nothing', async () => {
  const state: UfwState = {
    rules: [
      "limit 22/tcp comment 'firstboot ssh'",
      "allow 60000:60010/udp comment 'firstboot mosh'",
      "allow 443/tcp comment 'firstboot allow'",
    ],
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
    rules: [
      "limit 22/tcp comment 'firstboot ssh'",
      "allow 60000:60010/udp comment 'firstboot mosh'",
      "allow 443/tcp comment 'firstboot allow'",
    ],
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
    'ufw --force enable',
  ]);
  assert.equal(await firewall.check(ctx), []);
});

test('when sshd -T fails, no old rule is removed and the log says why', async () => {
  const state: UfwState = {
    rules: [
      "limit 22/tcp comment 'firstboot ssh'",
      "allow 60000:60010/udp comment 'firstboot mosh'",
      "allow 443/tcp comment 'firstboot allow'",
    ],
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
    rules: [
      "limit 22/tcp comment 'firstboot ssh'",
      "allow 60000:60010/udp comment 'firstboot mosh'",
      "allow 443/tcp comment 'firstboot allow'",
    ],
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

/** `ufw status verbose` on Debian 12 with forwarding off (the sysctl step), as ufw 0.36.2 prints it */
const ACTIVE = `Status: active
Logging: on (low)
Default: deny (incoming), allow (outgoing), disabled (routed)
New profiles: skip

To                         Action      From
--                         ------      ----
2222/tcp                   LIMIT IN    Anywhere                   # firstboot ssh
60000:60010/udp            ALLOW IN    Anywhere                   # firstboot mosh
443/tcp                    ALLOW IN    Anywhere                   # firstboot allow
8080/tcp                   ALLOW IN    10.0.0.0/8
2222/tcp (v6)              LIMIT IN    Anywhere (v6)              # firstboot ssh
60000:60010/udp (v6)       ALLOW IN    Anywhere (v6)              # firstboot mosh
443/tcp (v6)               ALLOW IN    Anywhere (v6)              # firstboot allow
`;

test('verify reads the live rules and defaults from ufw status verbose', async () => {
  const ctx = machine(plan(2222), { rules: [], active: true });
  ctx.$.on('ufw status verbose', { stdout: ACTIVE });
  assert.equal(await firewall.verify(ctx), []);

  const broken = ACTIVE.replace('deny (incoming)', 'allow (incoming)')
    .replace('443/tcp (v6)               ALLOW IN    Anywhere (v6)              # firstboot allow\n', '')
    .replace('2222/tcp                   LIMIT IN', '2222/tcp                   ALLOW IN');
  ctx.$.on('ufw status verbose', { stdout: broken }).on('systemctl is-enabled --quiet ufw', { exitCode: 1 });
  assert.equal(await firewall.verify(ctx), [
    'ufw defaults are "allow (incoming), allow (outgoing), disabled (routed)", want deny (incoming), allow ' +
      '(outgoing), deny (routed)',
    'ufw does not limit 2222/tcp over IPv4',
    'ufw does not allow 443/tcp over IPv6',
    'ufw.service is not enabled at boot',
  ]);

  ctx.$.on('ufw status verbose', { stdout: 'Status: inactive\n' });
  assert.equal(await firewall.verify(ctx), ['ufw is not active']);
});

test.run();
