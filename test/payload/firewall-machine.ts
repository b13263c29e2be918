// The firewall step's tests' machine: Debian 12's ufw as the step sees it (its rule files, whether its
// chains are loaded, ufw.conf, /etc/default/ufw), sshd -T's port and systemctl, answering as the real
// tools do and keeping the state each command changes.
import type { FirewallPlan } from '../../contract/plan';
import { stepContext, type TestCtx } from './context';
import { UFW_LOADED } from '../fakes/server';
import { seedUfwConf, UFW_START, ufwRuleFiles, ufwStart } from '../fakes/ufw-files';

export const plan = (sshPort: number): FirewallPlan => ({
  id: 'firewall',
  sshPort,
  rules: [
    { action: 'limit', port: String(sshPort), proto: 'tcp', comment: 'firstboot ssh' },
    { action: 'allow', port: '60000:60010', proto: 'udp', comment: 'firstboot mosh' },
    { action: 'allow', port: '443', proto: 'tcp', comment: 'firstboot allow' },
  ],
});

/** Debian 12's /etc/default/ufw as the package installs it (comments trimmed) */
export const STOCK_DEFAULTS = `# /etc/default/ufw
IPV6=yes
DEFAULT_INPUT_POLICY="DROP"
DEFAULT_OUTPUT_POLICY="ACCEPT"
DEFAULT_FORWARD_POLICY="DROP"
DEFAULT_APPLICATION_POLICY="SKIP"
MANAGE_BUILTINS=no
IPT_SYSCTL=/etc/ufw/sysctl.conf
IPT_MODULES=""
`;

/** plan(22)'s rules as ufw lists them once the step has added them */
export const planRules = () => [
  "limit 22/tcp comment 'firstboot ssh'",
  "allow 60000:60010/udp comment 'firstboot mosh'",
  "allow 443/tcp comment 'firstboot allow'",
];

export interface UfwState {
  /** the rules as `ufw show added` lists them, without the leading "ufw " */
  rules: string[];
  active: boolean;
  /** what `sshd -T` says its port is; undefined makes sshd -T fail */
  sshdPort?: number;
  serviceEnabled?: boolean;
}

/** Answers ufw, sshd -T and systemctl the way the real tools do, keeping ufw's rules and state. */
export function machine(params: FirewallPlan, state: UfwState, defaults = STOCK_DEFAULTS): TestCtx<FirewallPlan> {
  const ctx = stepContext(params);
  ctx.fs.seed('/etc/default/ufw', defaults);
  const key = (rule: string) => rule.replace(/ comment .*$/, '');
  ufwRuleFiles(ctx.fs, () => state.rules);
  seedUfwConf(ctx.fs, state.active);
  ctx.$.on(UFW_LOADED, () => ({ exitCode: state.active ? 0 : 1 }))
    .on(
      UFW_START,
      ufwStart(ctx.fs, () => ((state.active = true), {})),
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
export const changes = (ctx: TestCtx<FirewallPlan>) =>
  ctx.$.commands.filter((cmd) => !/^(iptables -w -n -L|sshd -T|systemctl is-enabled)/.test(cmd));
