// GeoIP blocking: which countries may reach which ports. The country ranges are pinned data from npm
// (geo-whois-asn-country: CC0, from the regional registries' whois and ASN data), read on the server.
import type { Capability } from './capability';
import { geoipPin } from '../npm-pins';

/** Tailscale's ranges (IPv4 CGNAT and its IPv6 ULA): a tailnet is a way in that GeoIP never closes */
export const TAILNET = ['100.64.0.0/10', 'fd7a:115c:a1e0::/48'];

export const geoip: Capability<'geoip'> = {
  id: 'geoip',
  plan: ({ config }) => {
    const { geoip: g, ssh, mosh } = config;
    if (!g.enabled) return undefined;
    const ports = g.ports.length
      ? g.ports
      : [
          { port: String(ssh.port), proto: 'tcp' as const },
          ...(mosh.enabled ? [{ port: mosh.ports, proto: 'udp' as const }] : []),
        ];
    // nftables writes a port range FROM-TO
    const of = (proto: 'tcp' | 'udp') => ports.filter((p) => p.proto === proto).map((p) => p.port.replace(':', '-'));
    const own =
      g.data.package && g.data.integrity
        ? {
            name: g.data.package.replace(/@[^@]+$/, ''),
            version: g.data.package.replace(/^.+@/, ''),
            integrity: g.data.integrity,
          }
        : undefined;
    return {
      id: 'geoip',
      countries: [...new Set(g.countries)],
      tcp: of('tcp'),
      udp: of('udp'),
      allow: [...g.always_allow, ...TAILNET],
      data: own ?? geoipPin(),
    };
  },
  packages: () => ['nftables'],
};
