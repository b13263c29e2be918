// A server as the ssh and firewall steps see it, with state: ufw's rules and whether it filters, the
// port sshd listens on (what it last loaded) and the one on disk, and reachability from outside,
// which only a rule that is in grants (or, with the node in a tailnet, a rule for tailscale0). After every command that
// changes any of it, the admin must still have a way in; each moment that is not so is kept in `lockouts`.
import type { RecordingShell } from './shell';
import type { MemoryFs } from './fs';
import { seedUfwConf, UFW_START, ufwRuleFiles, ufwStart } from './ufw-files';

/** ufw's test of whether it filters (its chains are loaded): exit 0 active, 1 not */
export const UFW_LOADED = 'iptables -w -n -L ufw-user-input';

const DROP_IN = '/etc/ssh/sshd_config.d/00-firstboot.conf';

export interface ServerState {
  ufw: { active: boolean; rules: string[] };
  /** the port sshd listens on now */
  listening: number;
  /** `ufw limit` fails, as it does when the running firewall cannot be updated */
  limitFails?: boolean;
  /** `ufw limit` answers 0 and adds nothing, as it does for a rule it takes for a duplicate */
  limitSkipped?: boolean;
  /** the node is up in a tailnet: a client there reaches ports ufw opens on tailscale0 */
  tailnet?: boolean;
}

/** sshd -T as a real sshd computes it: the first value read wins, drop-ins before the main file. */
export function effectiveSshd(fs: MemoryFs, before: string[] = []): string {
  const defaults = [
    'PasswordAuthentication yes',
    'Port 22',
    'PubkeyAcceptedAlgorithms ssh-ed25519,sk-ssh-ed25519@openssh.com,rsa-sha2-512,rsa-sha2-256',
    'RequiredRSASize 1024',
  ];
  const seen = new Map<string, string[]>();
  for (const line of [...before, fs.files.get(DROP_IN)?.content ?? '', ...defaults].join('\n').split('\n')) {
    const [k, ...v] = line.trim().split(/\s+/);
    if (!k || k.startsWith('#')) continue;
    const key = k.toLowerCase();
    if (key === 'hostkey') seen.set(key, [...(seen.get(key) ?? []), v.join(' ')]);
    else if (!seen.has(key)) seen.set(key, [v.join(' ')]);
  }
  return [...seen].flatMap(([k, vs]) => vs.map((v) => `${k} ${v}`)).join('\n') + '\n';
}

const ruleKey = (rule: string) => rule.replace(/ comment .*$/, '');

function covers(rule: string, port: number): boolean {
  const match = /^(allow|limit) (\d+)(?::(\d+))?\/tcp\b/.exec(rule);
  return !!match && Number(match[2]) <= port && port <= Number(match[3] ?? match[2]);
}

export function fakeServer($: RecordingShell, fs: MemoryFs, state: ServerState) {
  const configured = () => Number(/^port (\d+)$/m.exec(effectiveSshd(fs))![1]);
  const viaTailnet = (port: number) =>
    !!state.tailnet &&
    state.ufw.rules.some((r) => r.startsWith(`allow in on tailscale0 to any port ${port} proto tcp`));
  const reachable = (port: number) =>
    state.listening === port && (!state.ufw.active || state.ufw.rules.some((r) => covers(r, port)) || viaTailnet(port));
  const lockouts: string[] = [];
  /** after a change: can a client still reach sshd? */
  const changed = (cmd: string, reply: { stdout?: string } = {}) => {
    if (!reachable(state.listening))
      lockouts.push(
        `after "${cmd}": sshd listens on ${state.listening}, which ` +
          `${state.ufw.active ? `ufw (${state.ufw.rules.join('; ')}) does not let in` : 'is closed'}`,
      );
    return reply;
  };

  ufwRuleFiles(fs, () => state.ufw.rules);
  seedUfwConf(fs, state.ufw.active);
  $.on(UFW_LOADED, () => ({ exitCode: state.ufw.active ? 0 : 1 }))
    .on(
      UFW_START,
      ufwStart(fs, () => ((state.ufw.active = true), changed(UFW_START))),
    )
    .on(/^ufw (allow|limit) /, (cmd) => {
      if (state.limitFails && cmd.startsWith('ufw limit'))
        return { exitCode: 1, stderr: 'ERROR: Could not update running firewall\n' };
      if (state.limitSkipped && cmd.startsWith('ufw limit')) return { stdout: 'Skipping adding existing rule\n' };
      const rule = cmd
        .slice(4)
        .replace(/'/g, '')
        .replace(/ comment (.*)$/, " comment '$1'");
      if (!state.ufw.rules.some((r) => ruleKey(r) === ruleKey(rule))) state.ufw.rules.push(rule);
      return changed(cmd, { stdout: 'Rule added\nRule added (v6)\n' });
    })
    .on(/^ufw --force delete /, (cmd) => {
      state.ufw.rules = state.ufw.rules.filter((r) => ruleKey(r) !== cmd.slice('ufw --force delete '.length));
      return changed(cmd, { stdout: 'Rule deleted\nRule deleted (v6)\n' });
    })
    .on(/^ufw default (deny|allow) (incoming|outgoing|routed)$/, (cmd) =>
      changed(cmd, { stdout: 'Default policy changed\n' }),
    )
    .on('sshd -t', {})
    .on('sshd -T', () => ({ stdout: `port ${configured()}\naddressfamily any\n` }))
    .on(/^sshd -T -C /, () => ({ stdout: effectiveSshd(fs) }))
    .on('systemctl reload ssh', (cmd) => ((state.listening = configured()), changed(cmd)))
    // the probe's packets arrive on its veth, where only the public rules apply
    .on(/^ip netns exec firstboot-probe ssh-keyscan -T 5 -p \d+ /, (cmd) => {
      const port = Number(/-p (\d+)/.exec(cmd)![1]);
      const open = state.listening === port && (!state.ufw.active || state.ufw.rules.some((r) => covers(r, port)));
      return open ? { stdout: '198.18.255.253 ssh-ed25519 AAAAC3Nza\n' } : { exitCode: 1 };
    })
    .on('ip -o address show dev tailscale0', () =>
      state.tailnet
        ? {
            stdout:
              '5: tailscale0    inet 100.64.0.7/32 scope global tailscale0\\       valid_lft forever\n' +
              '5: tailscale0    inet6 fd7a:115c:a1e0::7/128 scope global \\       valid_lft forever\n',
          }
        : { exitCode: 1 },
    )
    .on('ip -4 -o address show dev tailscale0', () =>
      state.tailnet ? { stdout: '5: tailscale0    inet 100.64.0.7/32 scope global tailscale0\n' } : { exitCode: 1 },
    )
    // sshd's own address: answered whatever the firewall says, as loopback is
    .on(/^ssh-keyscan -T 5 -p \d+ -t ed25519 100\.64\.0\.7$/, (cmd) =>
      state.tailnet && state.listening === Number(/-p (\d+)/.exec(cmd)![1])
        ? { stdout: '100.64.0.7 ssh-ed25519 AAAAC3Nza\n' }
        : { exitCode: 1 },
    );
  return { lockouts };
}
