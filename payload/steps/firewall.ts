// The firewall (ufw): incoming denied, outgoing allowed, routed denied, IPv4 and IPv6, plus the plan's
// rules. Lockout rules 2 and 3 (docs/ARCHITECTURE.md): rules go in before ufw is enabled; a re-run never resets
// ufw and leaves rules an admin added alone, since only rules whose comment starts with "firstboot" are
// ours; every port sshd listens on stays open, and an obsolete rule of ours is removed only once sshd
// listens on the plan's port and that port's rule is in. With ssh_via_tailnet_only, each SSH and mosh rule
// stays public until the tailscale step has opened its twin on the tailnet and the owner has logged in
// through the tailnet name (a port moved to gets a public rule until its tailnet twin is in).
import type { FirewallPlan, FirewallRule } from '../../contract/plan';
import type { Step } from '../step';
import type { Fs } from '../lib/fs';
import type { Log } from '../lib/log';
import type { Shell } from '../lib/shell';
import { isEnabled } from '../lib/systemd';
import {
  addedRules,
  CONF_FILE,
  covers,
  DEFAULTS_FILE,
  enableUfw,
  setSetting,
  settings,
  tailnetRules,
  ufwActive,
  type UfwRule as Added,
} from '../lib/ufw';
import { tailnetLoginProven } from '../lib/probe';
import { OURS } from '../../contract/firewall-names';

/** The default policies: the kernel's chain, and its value as /etc/default/ufw stores it (DEFAULT_<chain>_POLICY,
 * which `ufw default` writes, active or not), lowercased as settings() reads it. */
const POLICIES = [
  { chain: 'INPUT', value: 'drop', verb: 'deny', direction: 'incoming' },
  { chain: 'OUTPUT', value: 'accept', verb: 'allow', direction: 'outgoing' },
  { chain: 'FORWARD', value: 'drop', verb: 'deny', direction: 'routed' },
] as const;
const policyKey = (chain: string) => `DEFAULT_${chain}_POLICY`;

// --- what ufw has -----------------------------------------------------------------------------------

/** The ports sshd is configured to listen on (`sshd -T`), or undefined when sshd cannot tell. */
async function sshdPorts($: Shell): Promise<number[] | undefined> {
  const out = await $({ nothrow: true })`sshd -T`;
  if (!out.ok) return undefined;
  return [...out.stdout.matchAll(/^port (\d+)$/gm)].map((match) => Number(match[1]));
}

// --- what the plan wants ----------------------------------------------------------------------------

const spec = (rule: { port: string; proto: string }) => `${rule.port}/${rule.proto}`;
/** ufw keeps one rule per action, port and protocol; the comment is only a label */
const key = (rule: { action: string; port: string; proto: string }) => `${rule.action} ${spec(rule)}`;
const describe = (rule: Added | FirewallRule) => `${key(rule)}${rule.comment ? ` (${rule.comment})` : ''}`;

function sshRule(params: FirewallPlan): FirewallRule {
  const rule = params.rules.find((r) => r.proto === 'tcp' && r.port === String(params.sshPort));
  if (!rule) throw new Error(`the plan has no rule for the SSH port ${params.sshPort}/tcp; refusing to lock SSH out`);
  return rule;
}

/**
 * The plan's rules, SSH first, plus a copy of the SSH rule for each other port sshd still listens on
 * (the ssh step has not moved it yet, or failed to): the firewall never closes the way in that works now.
 */
function wantedRules(
  params: FirewallPlan,
  listening: number[] = [],
  onTailnet: OnTailnet = () => false,
): FirewallRule[] {
  const ssh = sshRule(params);
  const uncovered = listening.filter((port) => !params.rules.some((r) => r.proto === 'tcp' && covers(r.port, port)));
  const bridges = [...new Set(uncovered)].map((port) => ({ ...ssh, port: String(port) }));
  return [ssh, ...bridges, ...params.rules.filter((rule) => rule !== ssh)].filter((rule) => !onTailnet(rule));
}

/** firstboot's rules that the plan no longer has. `planned` holds the rules that moved to the tailnet too:
 * closing those publicly is the tailscale step's, once it has proven SSH there. */
function obsolete(added: Added[], planned: FirewallRule[]): Added[] {
  const keep = new Set(planned.map(key));
  return added.filter((rule) => rule.comment.startsWith(OURS) && !keep.has(key(rule)));
}

// --- the step ---------------------------------------------------------------------------------------

/** whether a rule of the plan's went to the tailnet only, so that it is no longer public */
type OnTailnet = (rule: FirewallRule) => boolean;

interface State {
  defaults: Map<string, string>;
  /**
   * the rules for every interface (rules for one, as the tailscale step's on tailscale0, are not the
   * firewall step's)
   */
  added: Added[];
  /**
   * the rules the plan marks `tailnet` whose twin the tailscale step opened on tailscale0, once the
   * owner's tailnet login is proven
   */
  onTailnet: OnTailnet;
  active: boolean;
  /** ENABLED=yes in ufw.conf: ufw.service loads the rules at boot */
  atBoot: boolean;
  listening: number[] | undefined;
}

/** ufw's rules for every interface, and which of the plan's rules went to the tailnet: each one by its own
 * twin (same port and protocol), so a port SSH moves to stays public until its tailnet rule is in */
async function rulesOf($: Shell, fs: Fs): Promise<Pick<State, 'added' | 'onTailnet'>> {
  const all = await addedRules(fs);
  const twins = (await tailnetLoginProven($, fs)) ? tailnetRules(all) : [];
  return {
    added: all.filter((rule) => !rule.iface),
    onTailnet: (rule) => !!rule.tailnet && twins.some((t) => t.port === rule.port && t.proto === rule.proto),
  };
}

async function readState($: Shell, fs: Fs): Promise<State> {
  const [rules, active, listening] = await Promise.all([rulesOf($, fs), ufwActive($), sshdPorts($)]);
  return {
    defaults: settings((await fs.read(DEFAULTS_FILE)) ?? ''),
    ...rules,
    active,
    atBoot: settings((await fs.read(CONF_FILE)) ?? '').get('ENABLED') === 'yes',
    listening,
  };
}

/** Old rules go only when sshd already listens on the plan's port (lockout rule 2). */
function mayRemove(params: FirewallPlan, listening: number[] | undefined, log: Log, rules: Added[]): boolean {
  if (rules.length === 0 || listening?.includes(params.sshPort)) return true;
  const where = listening ? `listens on ${listening.join(', ')}` : 'cannot tell its port (sshd -T failed)';
  log.info(`firewall: keeping ${rules.map(describe).join(', ')}: sshd ${where}, not ${params.sshPort} yet`);
  return false;
}

export const firewall: Step<'firewall'> = {
  id: 'firewall',
  after: ['packages'],
  // lockout rule 2: the ssh step moves the port with the rules as they are; the metadata rules are iptables too
  notBefore: ['ssh', 'metadata'],
  async check({ params, $, fs, log }) {
    const { defaults, added, active, atBoot, listening, onTailnet } = await readState($, fs);
    const drift: string[] = [];
    if (defaults.get('IPV6') !== 'yes')
      drift.push(`${DEFAULTS_FILE} has IPV6=${defaults.get('IPV6') ?? '(unset)'}, wants yes`);
    for (const { chain, value, direction } of POLICIES) {
      const now = defaults.get(policyKey(chain));
      if (now !== value) drift.push(`ufw's ${direction} policy is ${now ?? '(unset)'}, wants ${value}`);
    }
    const wanted = wantedRules(params, listening, onTailnet);
    const have = new Set(added.map(key));
    for (const rule of wanted) if (!have.has(key(rule))) drift.push(`ufw has no rule ${describe(rule)}`);
    const old = obsolete(added, wantedRules(params, listening));
    if (mayRemove(params, listening, log, old))
      for (const rule of old) drift.push(`ufw has an obsolete rule ${describe(rule)}`);
    if (!active) drift.push('ufw is inactive');
    else if (!atBoot) drift.push(`${CONF_FILE} does not have ENABLED=yes: ufw would not filter after a reboot`);
    if (!(await isEnabled($, 'ufw'))) drift.push('ufw.service is not enabled at boot');
    return drift;
  },
  async apply({ params, $, fs, log }) {
    const { defaults, added: before, active, atBoot, listening, onTailnet } = await readState($, fs);
    const wanted = wantedRules(params, listening, onTailnet);
    const ipv6Turned = await setSetting(fs, DEFAULTS_FILE, 'IPV6', 'yes');
    // a running ufw has no IPv6 chains until it reloads; rules added before that would fail on them
    if (ipv6Turned && active) await $`ufw reload`;
    for (const { chain, value, verb, direction } of POLICIES) {
      if (defaults.get(policyKey(chain)) !== value) await $`ufw default ${verb} ${direction}`;
    }
    // rules added while IPv6 was off exist for IPv4 only: adding them again adds the IPv6 half
    const have = new Set(before.map(key));
    for (const rule of wanted.filter((r) => ipv6Turned || !have.has(key(r)))) {
      await $`ufw ${rule.action} ${spec(rule)} comment ${rule.comment}`;
    }
    // lockout rule 3: the SSH rule is in (publicly, or on the tailnet) before ufw filters and before any
    // old rule goes, whatever the commands said (ufw can answer 0 and skip a rule)
    const { added } = await rulesOf($, fs);
    if (!onTailnet(sshRule(params)) && !added.some((rule) => key(rule) === key(sshRule(params)))) {
      throw new Error(
        `ufw does not hold ${describe(sshRule(params))} after adding it; ` +
          `${active ? 'no rule removed' : 'ufw left off'}`,
      );
    }
    if (!active || !atBoot) await enableUfw($, fs);
    if (!(await isEnabled($, 'ufw'))) await $`systemctl enable ufw`;

    const old = obsolete(added, wantedRules(params, listening));
    if (mayRemove(params, listening, log, old)) {
      for (const rule of old) await $`ufw --force delete ${rule.action} ${spec(rule)}`;
    }
  },
  async unplanned({ params, $, fs }) {
    const wanted = new Set(wantedRules(params, await sshdPorts($)).map(key));
    return (await rulesOf($, fs)).added
      .filter((rule) => !rule.comment.startsWith(OURS) && !wanted.has(key(rule)))
      .map(
        (rule) =>
          `ufw has a rule the config does not: ${describe(rule)} (the run leaves it; list it in ` +
          `firewall.allow, or ufw delete it)`,
      );
  },
  // what the kernel filters with (`iptables -S`), not ufw's files again: ufw's rules as ufw-init loaded them
  async verify({ params, $, fs }) {
    const { onTailnet } = await rulesOf($, fs);
    const problems: string[] = [];
    for (const [family, ufw, rules] of [
      ['IPv4', 'ufw', (await $({ nothrow: true })`iptables -w -S`).stdout],
      ['IPv6', 'ufw6', (await $({ nothrow: true })`ip6tables -w -S`).stdout],
    ]) {
      for (const { chain, value, direction } of POLICIES) {
        if (!rules.includes(`-P ${chain} ${value.toUpperCase()}\n`))
          problems.push(`the kernel's ${family} ${direction} policy is not ${value}`);
      }
      // a rule for any interface and address, as ufw writes a port and protocol ("--dports" for a range)
      for (const rule of params.rules.filter((r) => !onTailnet(r))) {
        const { proto, port } = rule;
        const target = rule.action === 'limit' ? `${ufw}-user-limit-accept` : 'ACCEPT';
        const match = `-p ${proto} -m (?:${proto} --dport|multiport --dports) ${port} -j ${target}`;
        if (!new RegExp(`^-A ${ufw}-user-input ${match}$`, 'm').test(rules))
          problems.push(`ufw does not ${key(rule)} over ${family}`);
      }
    }
    if (!(await isEnabled($, 'ufw'))) problems.push('ufw.service is not enabled at boot');
    return problems;
  },
};
