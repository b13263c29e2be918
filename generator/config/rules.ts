// Rules across options. Each is a named function over the resolved config that reports at the entry
// causing the clash. A rule only sees options that passed their own checks (`valid`), so one mistake
// is not reported twice.
import type { Path } from './dsl';
import { pathText } from './dsl';
import * as msg from './messages';
import { overlaps, parseRange, rangeText, type AllowRule } from './ports';
import type { Config } from './schema';
import { IMAGE_NODE } from './images';
import { DEVTOOLS_PINS } from '../../contract/devtools-pins';
import { nodeAtLeast } from '../../contract/npm-tree';

export interface RuleCtx {
  report(path: Path, message: string): void;
  /** false when the option at path, or something inside it, was already reported */
  valid(path: Path): boolean;
  /** the Hetzner image the server runs, when known */
  image?: string;
}

type Rule = (config: Config, ctx: RuleCtx) => void;

/** SSH is opened by firstboot with `ufw limit`; a plain allow on the same port would undo the limit. */
const allowDoesNotOpenSsh: Rule = (config, ctx) => {
  if (!ctx.valid(['ssh', 'port'])) return;
  eachAllow(config, ctx, (rule, path) => {
    if (rule.proto === 'tcp' && overlaps(rule, { from: config.ssh.port, to: config.ssh.port })) {
      ctx.report(path, msg.allowsSshPort(config.ssh.port));
    }
  });
};

const allowDoesNotOverlapMosh: Rule = (config, ctx) => {
  if (!config.mosh.enabled || !ctx.valid(['mosh', 'ports'])) return;
  const mosh = parseRange(config.mosh.ports);
  if (!mosh) return;
  eachAllow(config, ctx, (rule, path) => {
    if (rule.proto === 'udp' && overlaps(rule, mosh)) ctx.report(path, msg.overlapsMosh(rangeText(mosh)));
  });
};

const allowEntriesAreDistinct: Rule = (config, ctx) => {
  const seen: { rule: AllowRule; path: Path; text: string }[] = [];
  eachAllow(config, ctx, (rule, path, text) => {
    const clash = seen.find((s) => s.rule.proto === rule.proto && overlaps(s.rule, rule));
    if (clash) {
      const same = clash.rule.from === rule.from && clash.rule.to === rule.to;
      ctx.report(
        path,
        same ? msg.duplicateAllow(pathText(clash.path)) : msg.overlapAllow(pathText(clash.path), clash.text),
      );
    }
    seen.push({ rule, path, text });
  });
};

function eachAllow(config: Config, ctx: RuleCtx, visit: (rule: AllowRule, path: Path, text: string) => void) {
  config.firewall.allow.forEach((entry, i) => {
    const path = ['firewall', 'allow', i];
    const range = entry && ctx.valid(path) ? parseRange(entry.port) : undefined;
    if (range) visit({ ...range, proto: entry.proto }, path, `${entry.port}/${entry.proto}`);
  });
}

/** A report needs an address, a sender and a server; a password, the login it is for. */
const reportIsComplete: Rule = (config, ctx) => {
  const { report } = config;
  if (report.smtp.password && !report.smtp.user) ctx.report(['report', 'smtp', 'password'], msg.passwordNeedsUser);
  if (!report.enabled || !ctx.valid(['report'])) return;
  const from = report.from ?? (report.smtp.user?.includes('@') ? report.smtp.user : undefined);
  const missing = [
    !report.to && 'report.to',
    !from && 'report.from (or an address as smtp.user)',
    !report.smtp.host && 'report.smtp.host',
  ].filter((m): m is string => !!m);
  if (missing.length) ctx.report(['report', 'enabled'], msg.reportNeeds(missing));
};

/** Context7 is registered in Claude Code's settings: without Claude Code it would serve nothing. */
const context7NeedsClaude: Rule = (config, ctx) => {
  if (config.devtools.context7 && !config.devtools.claude)
    ctx.report(['devtools', 'context7'], msg.context7NeedsClaude);
};

/** GSD's skills, agents and hooks are Claude Code's: without Claude Code nothing would run them. */
const gsdNeedsClaude: Rule = (config, ctx) => {
  if (config.devtools.gsd && !config.devtools.claude) ctx.report(['devtools', 'gsd'], msg.gsdNeedsClaude);
};

/** Context7 runs on the distribution's Node.js: an image whose Node is older cannot run it. */
const context7HasNode: Rule = (config, ctx) => {
  const node = ctx.image && IMAGE_NODE[ctx.image];
  const need = DEVTOOLS_PINS.context7.node;
  if (config.devtools.enabled && config.devtools.context7 && node && !nodeAtLeast(node, need))
    ctx.report(['devtools', 'context7'], msg.context7Node(need, ctx.image!, node));
};

/** GeoIP blocking with no country would let nobody in; data of your own needs its pin */
const geoipIsComplete: Rule = (config, ctx) => {
  if (config.geoip.enabled && config.geoip.countries.length === 0 && ctx.valid(['geoip', 'countries']))
    ctx.report(['geoip', 'enabled'], msg.geoipNeedsCountries);
  const { data } = config.geoip;
  if (!data.package !== !data.integrity) ctx.report(['geoip', 'data'], msg.dataNeedsBoth);
};

/** joining needs the auth key; the tailnet-only SSH needs the tailnet, and the console as a way back */
const tailscaleIsComplete: Rule = (config, ctx) => {
  const t = config.tailscale;
  if (t.enabled && !t.auth_key && ctx.valid(['tailscale', 'auth_key']))
    ctx.report(['tailscale', 'enabled'], msg.tailscaleNeedsKey);
  if (t.ssh_via_tailnet_only && !t.enabled)
    ctx.report(['tailscale', 'ssh_via_tailnet_only'], msg.tailnetNeedsTailscale);
  else if (t.ssh_via_tailnet_only && !config.admin.password && ctx.valid(['admin', 'password']))
    ctx.report(['tailscale', 'ssh_via_tailnet_only'], msg.tailnetNeedsConsole);
};

export const rules: readonly Rule[] = [
  allowDoesNotOpenSsh,
  allowDoesNotOverlapMosh,
  allowEntriesAreDistinct,
  reportIsComplete,
  context7NeedsClaude,
  context7HasNode,
  gsdNeedsClaude,
  geoipIsComplete,
  tailscaleIsComplete,
];
