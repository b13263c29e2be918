// ufw's rules as data, for the steps that must know whether a port is open: the firewall step, and the
// ssh step before it moves sshd (lockout rule 2, docs/ARCHITECTURE.md). Rules are parsed, never matched as substrings:
// "2222/tcp" in a listing says nothing about port 22.
import { isTailnetComment, TAILNET_INTERFACE } from '../../contract/firewall-names';
import { writeFile } from './files';
import type { Fs } from './fs';
import type { Shell } from './shell';

/**
 * ufw's rule files, which it keeps whether it is active or not (/etc/ufw/user6.rules only counts with IPv6
 * on, as ufw reads it). Each rule is a line ufw writes above its iptables lines and reads back:
 * "### tuple ### ACTION PROTO DPORT DST SPORT SRC DIRECTION[_IFACE] [comment=HEX]".
 */
const FILES = { v4: '/etc/ufw/user.rules', v6: '/etc/ufw/user6.rules' };
export const DEFAULTS_FILE = '/etc/default/ufw';
/** ENABLED=yes here is what makes ufw.service load the rules at boot */
export const CONF_FILE = '/etc/ufw/ufw.conf';

/** KEY=value lines read the way ufw reads them: value lowercased, quotes dropped. */
export function settings(text: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^(\w+)="?(\w+)"?/.exec(line);
    if (match) found.set(match[1], match[2].toLowerCase());
  }
  return found;
}

/** A rule in ufw's short syntax ("ufw limit 22/tcp comment 'firstboot ssh'") or for one interface as the
 * tailscale step adds them ("ufw allow in on tailscale0 to any port 22 proto tcp"): from and to any address,
 * from any port, coming in. Any other rule (addresses, app profiles, logging, routing) is an admin's,
 * which firstboot never reads or touches. */
const TUPLE =
  /^### tuple ### (allow|limit|deny|reject) (tcp|udp) (\d+(?::\d+)?) (?:0\.0\.0\.0|::)\/0 any (?:0\.0\.0\.0|::)\/0 in(?:_([^\s!]+))?(?: comment=([\da-f]*))?$/;

export interface UfwRule {
  action: string;
  /** a port or a range "from:to" */
  port: string;
  proto: string;
  comment: string;
  /** the interface the rule is for; '' for every interface */
  iface: string;
}

/**
 * Rules ufw holds, whether it is active or not: what `ufw show added` lists (each once, IPv4's first),
 * read from its files without a second of Python start-up.
 */
export async function addedRules(fs: Fs): Promise<UfwRule[]> {
  const ipv6 = settings((await fs.read(DEFAULTS_FILE)) ?? '').get('IPV6') === 'yes';
  const text = [await fs.read(FILES.v4), ipv6 ? await fs.read(FILES.v6) : ''].join('\n');
  const rules = new Map<string, UfwRule>();
  for (const line of text.split('\n')) {
    const match = TUPLE.exec(line.trim());
    if (!match) continue;
    const [, action, proto, port, iface = '', hex = ''] = match;
    const rule = { action, port, proto, iface, comment: Buffer.from(hex, 'hex').toString() };
    rules.set(JSON.stringify(rule), rule);
  }
  return [...rules.values()];
}

/**
 * Whether ufw filters now; false where it is not installed. ufw's own test for `ufw status` (its chains
 * are loaded), without ufw's second of Python start-up, for the ssh and firewall steps ask it often.
 */
export async function ufwActive($: Shell): Promise<boolean> {
  return (await $({ nothrow: true })`iptables -w -n -L ufw-user-input`).ok;
}

/** `text` with KEY=value set, every other line as it was; a missing key is appended, as ufw does. */
export function withSetting(text: string, key: string, value: string): string {
  const line = new RegExp(`^${key}=.*$`, 'm');
  return line.test(text) ? text.replace(line, `${key}=${value}`) : `${text}${key}=${value}\n`;
}

/** Sets KEY=value in one of ufw's settings files; true when it changed the file. */
export async function setSetting(fs: Fs, path: string, key: string, value: string): Promise<boolean> {
  const text = (await fs.read(path)) ?? '';
  if (settings(text).get(key) === value) return false;
  return writeFile(fs, { path, content: withSetting(text, key, value), mode: 0o644 });
}

/**
 * `ufw --force enable` less its last part: ENABLED=yes in ufw.conf, then ufw-init start, which loads ufw's
 * rule files exactly as every boot does. `ufw enable` goes on to load the logging rules those files have
 * just loaded once more, one iptables process each: four of its eight seconds on a first boot under TCG.
 * A failed start puts ENABLED back, as ufw does.
 */
export async function enableUfw($: Shell, fs: Fs): Promise<void> {
  await setSetting(fs, CONF_FILE, 'ENABLED', 'yes');
  const start = await $({ nothrow: true })`/lib/ufw/ufw-init start`;
  if (start.ok) return;
  await setSetting(fs, CONF_FILE, 'ENABLED', 'no');
  throw new Error(`ufw-init start failed (ufw left off): ${(start.stdout + start.stderr).trim()}`);
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
