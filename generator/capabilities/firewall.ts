// Firewall policy (ufw): incoming denied except SSH, mosh and the user's list. Every rule's comment starts
// with "firstboot": that is how a later run tells its own rules from those an admin added by hand.
import type { FirewallPlan, FirewallRule } from '../../contract/plan';
import type { Capability } from './capability';
import { list, section } from '../config/dsl';
import { enabled } from '../config/kinds';
import { allowedPort, udpRange } from '../config/ports';
import { ALLOW_RULE, MOSH_RULE, SSH_RULE } from '../../contract/firewall-names';

/** ufw depends on iptables, which it drives */
export const firewallPackages = ['ufw'];

export interface FirewallOptions {
  sshPort: number;
  /** mosh's UDP range "FROM:TO", or false when mosh is off */
  mosh?: { ports: string } | false;
  /** the user's extra ports, "443" or "8000:8100" */
  allow: { port: string; proto: 'tcp' | 'udp' }[];
  /** SSH and mosh go through the tailnet only, once the tailscale step has proven it */
  tailnetOnly?: boolean;
}

export function firewallPlan({ sshPort, mosh, allow, tailnetOnly }: FirewallOptions): FirewallPlan {
  const tailnet = tailnetOnly ? { tailnet: true as const } : {};
  const rules: FirewallRule[] = [
    // first, so nothing added later can shadow it; `limit` drops a source's 7th connection within
    // 30 s (ufw's fixed rate), a brake on brute force before fail2ban has counted anything
    { action: 'limit', port: String(sshPort), proto: 'tcp', comment: SSH_RULE, ...tailnet },
    // mosh-server picks one UDP port per session from this range
    ...(mosh
      ? [{ action: 'allow' as const, port: mosh.ports, proto: 'udp' as const, comment: MOSH_RULE, ...tailnet }]
      : []),
    ...allow.map(({ port, proto }) => ({ action: 'allow' as const, port, proto, comment: ALLOW_RULE })),
  ];
  return { id: 'firewall', sshPort, rules };
}

export const firewallSection = section(
  {
    allow: list(allowedPort(), {
      doc:
        'Extra ports to open to everyone, as "PORT/PROTO" or "FROM:TO/PROTO" with PROTO tcp or udp. ' +
        'Everything else coming in is dropped. The SSH port and the mosh range are opened already: do not ' +
        'list them.',
      default: [],
    }),
  },
  { doc: 'The firewall (ufw): incoming traffic denied, outgoing allowed, IPv4 and IPv6.' },
);

/** mosh has no step of its own: this capability installs it and opens its range */
export const moshSection = section(
  {
    enabled: enabled('mosh (the mobile shell) and its UDP ports'),
    ports: udpRange({
      doc: 'The UDP port range mosh servers use, "FROM:TO". Each open mosh session takes one port.',
      default: '60000:60010',
    }),
  },
  { doc: 'mosh, a shell that survives roaming and sleep.' },
);

export const firewall: Capability<'firewall'> = {
  id: 'firewall',
  plan: ({ config: { ssh, mosh, firewall, tailscale } }) =>
    firewallPlan({
      sshPort: ssh.port,
      mosh: mosh.enabled && { ports: mosh.ports },
      allow: firewall.allow,
      tailnetOnly: tailscale.enabled && tailscale.ssh_via_tailnet_only,
    }),
  // mosh is only a package and a port range: the firewall step opens the range
  packages: ({ config }) => [...firewallPackages, ...(config.mosh.enabled ? ['mosh'] : [])],
};
