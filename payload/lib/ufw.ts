// ufw's rules as data, for the steps that must know whether a port is open: the firewall step, and the
// ssh step before it moves sshd (lockout rule 2, docs/ARCHITECTURE.md). Rules are parsed, never matched as substrings:
// "2222/tcp" in a listing says nothing about port 22.
import { isTailnetComment, TAILNET_INTERFACE } from '../../contract/firewall-names';
import type { Shell } from './shell';

/** `ufw show added` lines in ufw's short syntax ("ufw limit 22/tcp comment 'firstboot ssh'"), or for one
 * interface as the tailscale step adds them ("ufw allow in on tailscale0 to any port 22 proto tcp"); any
 * other rule (addresses, app profiles) is an admin's, which firstboot never reads or touches. */
const ADDED =
  /^ufw (allow|limit|deny|reject) (?:(\d+(?::\d+)?)\/(tcp|udp)|in on (\S+) to any port (\d+(?::\d+)?) proto (tcp|udp))(?: comment '(.*)')?$/;

export interface UfwRule {
  action: string;
  /** a port or a range "from:to" */
  port: string;
  proto: string;
  comment: string;
  /** the interface the rule is for; '' for every interface */
  iface: string;
}

/** Rules ufw holds, whether it is active or not (`ufw status` lists them only when active). */
export async function addedRules($: Shell): Promise<UfwRule[]> {
  const out = await $`ufw show added`;
  return out.stdout.split('\n').flatMap((line) => {
    const match = ADDED.exec(line.trim());
    if (!match) return [];
    const [, action, port, proto, iface, ifacePort, ifaceProto, comment] = match;
    return [
      { action, port: port ?? ifacePort, proto: proto ?? ifaceProto, iface: iface ?? '', comment: comment ?? '' },
    ];
  });
}

/**
 * Whether ufw filters now; false where it is not installed. ufw's own test for `ufw status` (its chains
 * are loaded), without ufw's second of Python start-up: the ssh and firewall steps ask it six times a run.
 */
export async function ufwActive($: Shell): Promise<boolean> {
  return (await $({ nothrow: true })`iptables -w -n -L ufw-user-input`).ok;
}

export function covers(port: string, wanted: number): boolean {
  const [from, to = from] = port.split(':').map(Number);
  return from <= wanted && wanted <= to;
}

/** firstboot's rules on the tailnet interface, which the tailscale step adds once SSH answers there */
export const tailnetRules = (rules: UfwRule[]) =>
  rules.filter((r) => r.iface === TAILNET_INTERFACE && isTailnetComment(r.comment));

/**
 * Whether a rule lets clients reach this TCP port (allow, or limit's rate-limited allow), publicly or
 * on the tailnet.
 */
export function allowsTcp(rules: UfwRule[], port: number): boolean {
  return rules.some((r) => r.proto === 'tcp' && (r.action === 'allow' || r.action === 'limit') && covers(r.port, port));
}
