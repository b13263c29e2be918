// When the user-data carries a secret (the server's private host key from `firstboot create` or
// `generate --host-key`), only root may read the metadata service that serves it: cloud-init, which
// runs as root, keeps working.
import type { MetadataPlan } from '../../contract/plan';
import type { Capability } from './capability';

/** the owner match needs iptables; ufw pulls it in anyway */
export const metadataPackages = ['iptables'];

export function metadataPlan(): MetadataPlan {
  return {
    id: 'metadata',
    // Hetzner's metadata service, and the IPv6 link-local address cloud-init >= 25.3 also tries
    addresses: ['169.254.169.254', 'fe80::a9fe:a9fe'],
  };
}

export const metadata: Capability<'metadata'> = {
  id: 'metadata',
  plan: ({ secrets }) => (secrets ? metadataPlan() : undefined),
  packages: () => metadataPackages,
};
