// A Hetzner Cloud Firewall that mirrors the ufw rules the payload will set, so the network edge and
// the server agree. Hetzner drops whatever no rule allows, like ufw's default deny incoming.
import { dashRange, ruleFor } from '../contract/firewall-names';
import { stepOf, type Plan } from '../contract/plan';
import type { FirewallRule } from './api/types';

const anywhere = ['0.0.0.0/0', '::/0'];
/** one word, so the command that deletes the rule by hand needs no quoting */
export const BRIDGE = 'firstboot-ssh-until-moved';

const firewallStep = (plan: Plan) => stepOf(plan, 'firewall');

/**
 * With `viaTailnet` (the server proved SSH over its tailnet), the rules ssh_via_tailnet_only moves
 * there are left out.
 */
export function mirrorUfwRules(plan: Plan, viaTailnet = false): FirewallRule[] {
  const firewall = firewallStep(plan);
  if (!firewall) return [];
  return [
    ...firewall.rules
      .filter((rule) => !(viaTailnet && rule.tailnet))
      .map(
        (rule): FirewallRule => ({
          direction: 'in',
          protocol: rule.proto,
          // ufw's `limit` has no equivalent at the edge: an allow there, and the server still rate-limits
          port: dashRange(rule.port),
          source_ips: anywhere,
          description: rule.comment,
        }),
      ),
    // ufw's default before.rules let ping in; without this rule Hetzner would drop it.
    { direction: 'in', protocol: 'icmp', source_ips: anywhere, description: 'firstboot icmp (ufw allows echo)' },
  ];
}

/**
 * The rule that keeps port 22 open at the edge while sshd may still listen there: from the first boot
 * until a login on the plan's port proves the ssh step moved it. If that step fails, sshd stays on 22
 * (and ufw keeps 22 open for it): an edge that dropped 22 would leave only the rescue system.
 */
export function sshBridgeRule(plan: Plan): FirewallRule | undefined {
  const firewall = firewallStep(plan);
  if (!firewall || firewall.sshPort === 22) return undefined;
  return { direction: 'in', protocol: 'tcp', port: '22', source_ips: anywhere, description: BRIDGE };
}

/** What ssh_via_tailnet_only moves to the tailnet ("ssh", "mosh"); empty without it. */
export function tailnetOnly(plan: Plan): string[] {
  return (firewallStep(plan)?.rules ?? []).filter((rule) => rule.tailnet).map((rule) => ruleFor(rule.comment));
}
