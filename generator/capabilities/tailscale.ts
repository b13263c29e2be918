// Tailscale: installed from its signed apt repository (the step adds it: the packages step cannot), joined
// with an auth key that is a secret; with ssh_via_tailnet_only, the firewall's public SSH and mosh rules
// move to the tailnet interface once SSH answers there (lockout rule 5, docs/ARCHITECTURE.md).
import type { Capability } from './capability';
import { firewall } from './firewall';
import { boolean, list, optional, section, string } from '../config/dsl';
import { hostName, secret } from '../config/kinds';
import * as msg from '../config/messages';

/** Tailscale's apt repository signing key (https://pkgs.tailscale.com/stable/) */
const TAILSCALE_KEY = '2596A99EAAB33821893C0A79458CA832957F5868';

export const tailscaleSection = section(
  {
    enabled: boolean({ doc: 'Turn Tailscale on or off.', default: false }),
    auth_key: secret({
      doc:
        'The auth key the server joins the tailnet with (required when Tailscale is on): "secret:NAME", ' +
        'given at `firstboot apply` or `create --wait`. `tailscale up` reads it from the root-only secrets ' +
        'folder, never from a command line. Until it is given, the step waits and SSH stays public.',
    }),
    hostname: optional(hostName({ doc: "The node's name in the tailnet.", defaultText: "the server's hostname" })),
    tags: list(string({ doc: '', expect: msg.expectTag, pattern: /^tag:[A-Za-z][A-Za-z0-9-]*$/ }), {
      doc:
        'Tags the node advertises ("tag:server"); the auth key must be allowed to set them. A tagged node ' +
        "does not expire with a user's login.",
      default: [],
    }),
    accept_dns: boolean({ doc: "Use the tailnet's DNS settings (MagicDNS) on the server.", default: true }),
    ssh_via_tailnet_only: boolean({
      doc:
        'SSH (and mosh) only over the tailnet: once tailscaled runs, the node has its tailnet address and ' +
        'sshd answers there, and a login from your side through the tailnet name worked (`apply` and ' +
        "`create --wait` do it), ufw allows them on tailscale0 only, `create --firewall` closes them at Hetzner's " +
        'edge, and the Host block firstboot writes uses the tailnet name. Before that, and without the auth ' +
        'key, SSH stays public. Needs `admin.password`: node keys expire and a tailnet ACL can drop port 22, ' +
        'and then the console is the way back in.',
      default: false,
    }),
    repository: section(
      {
        url: string({
          doc: 'The apt repository, without the distribution (DISTRO/ and CODENAME are added).',
          default: 'https://pkgs.tailscale.com/stable',
          expect: msg.expectUrl,
          pattern: /^https?:\/\/[^\s/]+(\/[^\s]*[^\s/])?$/,
        }),
        key: string({
          doc:
            'The fingerprint of the key the repository is signed with; the key file it serves is refused ' +
            'when it differs.',
          default: TAILSCALE_KEY,
          expect: msg.expectFingerprint,
          pattern: /^[0-9A-F]{40}$/,
        }),
      },
      {
        doc:
          'Where Tailscale comes from: its signed apt repository (the key fetched and checked against the ' +
          'fingerprint before apt trusts it, for that repository only), or a mirror of it.',
      },
    ),
  },
  {
    doc:
      'Tailscale, from its signed apt repository, joined with an auth key; optionally the only way to SSH ' +
      'in, closed publicly only once it is proven to work.',
  },
);

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
