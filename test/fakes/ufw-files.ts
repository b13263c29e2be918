// ufw's rule files as ufw 0.36 writes them (/etc/ufw/user.rules, user6.rules), kept in step with rules
// given as `ufw show added` lists them, without "ufw ": what payload/lib/ufw.ts reads. Each rule is a
// "### tuple ###" line (addresses "any" as 0.0.0.0/0 or ::/0, the comment in hex) over its iptables line.
import type { MemoryFs } from './fs';

const hex = (comment?: string) => (comment ? ` comment=${Buffer.from(comment).toString('hex')}` : '');

/** The tuple line for one rule, or undefined where the rule has no IPv6 half (an IPv4 source). */
function tuple(rule: string, any: string): string | undefined {
  let m = /^(\w+) (\d+(?::\d+)?)\/(tcp|udp)(?: comment '(.*)')?$/.exec(rule);
  if (m) return `### tuple ### ${m[1]} ${m[3]} ${m[2]} ${any} any ${any} in${hex(m[4])}`;
  m = /^(\w+) in on (\S+) to any port (\d+(?::\d+)?) proto (tcp|udp)(?: comment '(.*)')?$/.exec(rule);
  if (m) return `### tuple ### ${m[1]} ${m[4]} ${m[3]} ${any} any ${any} in_${m[2]}${hex(m[5])}`;
  m = /^(\w+) from ([\d.]+\/\d+) to any port (\d+) proto (tcp|udp)$/.exec(rule);
  if (m) return any.includes(':') ? undefined : `### tuple ### ${m[1]} ${m[4]} ${m[3]} ${any} any ${m[2]} in`;
  throw new Error(`the fake ufw cannot write the rule "${rule}"`);
}

/** user.rules and user6.rules, made from `rules()` each time they are read */
export function ufwRuleFiles(fs: MemoryFs, rules: () => string[]): void {
  for (const [path, any, chain] of [
    ['/etc/ufw/user.rules', '0.0.0.0/0', 'ufw'],
    ['/etc/ufw/user6.rules', '::/0', 'ufw6'],
  ]) {
    const lines = () =>
      rules().flatMap((rule) => {
        const line = tuple(rule, any);
        return line ? ['', line, `-A ${chain}-user-input -j ACCEPT`] : [];
      });
    fs.files.set(path, {
      get content() {
        return [
          '*filter',
          `:${chain}-user-input - [0:0]`,
          '### RULES ###',
          ...lines(),
          '',
          '### END RULES ###',
          'COMMIT',
          '',
        ].join('\n');
      },
      mode: 0o640,
      owner: 'root:root',
    });
  }
}

/** ufw-init's start, as ufw.service runs it at boot (and the firewall step to enable ufw) */
export const UFW_START = '/lib/ufw/ufw-init start';

/** /etc/ufw/ufw.conf as ufw leaves it, enabled (at boot) or not */
export function seedUfwConf(fs: MemoryFs, enabled: boolean): void {
  fs.seed('/etc/ufw/ufw.conf', `# /etc/ufw/ufw.conf\nENABLED=${enabled ? 'yes' : 'no'}\nLOGLEVEL=low\n`);
}

/** ufw-init start as ufw 0.36's: it loads the rules only with ENABLED=yes in ufw.conf */
export function ufwStart(fs: MemoryFs, load: () => { stdout?: string }) {
  return () =>
    /^ENABLED=yes$/m.test(fs.files.get('/etc/ufw/ufw.conf')?.content ?? '')
      ? load()
      : { stdout: 'Skip starting firewall: ufw (not enabled)\n' };
}
