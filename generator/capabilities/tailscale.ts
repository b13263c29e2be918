// Tailscale: installed from its signed apt repository (the step adds it: the packages step cannot), joined
// with an auth key that is a secret; with ssh_via_tailnet_only, the firewall's public SSH and mosh rules
// move to the tailnet interface once SSH answers there (lockout rule 5).
import type { Capability } from './capability';
import { firewall } from './firewall';

export const tailscale: Capability<'tailscale'> = {
  id: 'tailscale',
  plan: (input) => {
    const t = input.config.tailscale;
    if (!t.enabled || !t.auth_key) return undefined;
    const flags = [
      ...(t.hostname ? [`--hostname=${t.hostname}`] : []),
      ...(t.tags.length ? [`--advertise-tags=${t.tags.join(',')}`] : []),
      `--accept-dns=${t.accept_dns}`,
    ];
    const tailnetOnly = firewall.plan(input)?.rules.filter((rule) => rule.tailnet) ?? [];
    return {
      id: 'tailscale',
      repository: t.repository.url,
      key: t.repository.key,
      authKey: t.auth_key,
      flags,
      tailnetOnly,
    };
  },
};
