// GeoIP blocking: which countries may reach which ports. The country ranges are pinned data from npm
// (geo-whois-asn-country: CC0, from the regional registries' whois and ASN data), read on the server.
import type { Capability } from './capability';
import { geoipPin } from '../npm-pins';
import { boolean, list, optional, section, string } from '../config/dsl';
import { address } from '../config/kinds';
import * as msg from '../config/messages';
import { allowedPort } from '../config/ports';
import { dashRange } from '../../contract/firewall-names';

/** Tailscale's ranges (IPv4 CGNAT and its IPv6 ULA): a tailnet is a way in that GeoIP never closes */
export const TAILNET = ['100.64.0.0/10', 'fd7a:115c:a1e0::/48'];

export const geoipSection = section(
  {
    enabled: boolean({ doc: 'Turn GeoIP blocking on or off.', default: false }),
    countries: list(string({ doc: '', expect: msg.expectCountry, pattern: /^[A-Z]{2}$/ }), {
      doc:
        'The countries allowed to reach the guarded ports (required when GeoIP blocking is on), ' +
        'as ISO 3166-1 alpha-2 codes: DE, AT, US.',
      default: [],
    }),
    ports: list(allowedPort(), {
      doc: 'The ports guarded, "PORT/PROTO" or "FROM:TO/PROTO"; every other port is left as the firewall has it.',
      defaultText: 'the SSH port and the mosh range',
      default: [],
    }),
    always_allow: list(address({ doc: '' }), {
      doc:
        "Addresses and CIDR ranges let through from anywhere: where you travel from, a VPN's exit, a " +
        'monitoring service. Loopback, the tailnet (100.64.0.0/10, fd7a:115c:a1e0::/48) and the private ' +
        'networks the server is attached to always are.',
      default: [],
    }),
    data: section(
      {
        package: optional(
          string({
            doc:
              'The package, "NAME@VERSION", holding NAME-ipv4.csv and NAME-ipv6.csv (NAME without its ' +
              'scope) with lines "FROM,TO,COUNTRY".',
            expect: msg.expectPackageVersion,
            pattern: /^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*@[\w.+-]+$/,
          }),
        ),
        integrity: optional(
          string({
            doc: 'Its tarball\'s sha512, "sha512-..." as package-lock.json writes it.',
            expect: msg.expectIntegrity,
            pattern: /^sha512-[A-Za-z0-9+/]{86}==$/,
          }),
        ),
      },
      {
        doc:
          'Country data of your own instead of the pinned geo-whois-asn-country: a package on the npm ' +
          'registry (or the one `--registry` names), in the same layout, pinned by its sha512.',
      },
    ),
  },
  {
    doc:
      'Lets only some countries reach SSH (and mosh), IPv4 and IPv6, from pinned country-IP data ' +
      "(geo-whois-asn-country, CC0). The owner's address (where `apply` or `create --wait` logs in from) is " +
      'always let through, and nothing is blocked until it is known; nothing goes live that would cut off an ' +
      'authenticated SSH or mosh session.',
  },
);

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
    const of = (proto: 'tcp' | 'udp') => ports.filter((p) => p.proto === proto).map((p) => dashRange(p.port));
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
