// ufw's rules as data, for the steps that must know whether a port is open: the firewall step, and the
// ssh step before it moves sshd (lockout rule 2). Rules are parsed, never matched as substrings:
// "2222/tcp" in a listing says nothing about port 22.
import type { Shell } from './shell';

/** `ufw show added` lines in ufw's short syntax ("ufw limit 22/tcp comment 'firstboot ssh'"); any other
 * rule (addresses, interfaces, app profiles) is an admin's, which firstboot never reads or touches. */
const ADDED = /^ufw (allow|limit|deny|reject) (\d+(?::\d+)?)\/(tcp|udp)(?: comment '(.*)')?$/;

export interface UfwRule {
  action: string;
  /** a port or a range "from:to" */
  port: string;
  proto: string;
  comment: string;
}

/** Rules ufw holds, whether it is active or not (`ufw status` lists them only when active). */
export async function addedRules($: Shell): Promise<UfwRule[]> {
  const out = await $`ufw show added`;
  return out.stdout.split('\n').flatMap((line) => {
    const match = ADDED.exec(line.trim());
    return match ? [{ action: match[1], port: match[2], proto: match[3], comment: match[4] ?? '' }] : [];
  });
}

/** Whether ufw filters now; false where it is not installed. */
export async function ufwActive($: Shell): Promise<boolean> {
  return /^Status: active$/m.test((await $({ nothrow: true })`ufw status`).stdout);
}

export function covers(port: string, wanted: number): boolean {
  const [from, to = from] = port.split(':').map(Number);
  return from <= wanted && wanted <= to;
}

/** Whether a rule lets anyone reach this TCP port (allow, or limit's rate-limited allow). */
export function allowsTcp(rules: UfwRule[], port: number): boolean {
  return rules.some((r) => r.proto === 'tcp' && (r.action === 'allow' || r.action === 'limit') && covers(r.port, port));
}
