// Configs loadConfig refuses, part 2: firewall and mosh, report, devtools, geoip.
import type { Case } from './config-setup';

export const serviceCases: Case[] = [
  // firewall and mosh
  {
    name: 'an unknown protocol',
    yaml: 'firewall:\n  allow: [443/tcpx]\n',
    expected: [
      { path: '$.firewall.allow[0]', line: 2, column: 11, message: /must be a port and protocol.*got "443\/tcpx"/ },
    ],
  },
  {
    name: 'a bare port number',
    yaml: 'firewall:\n  allow: [443]\n',
    expected: [{ path: '$.firewall.allow[0]', line: 2, message: /got 443$/ }],
  },
  {
    name: 'an allowed port out of range',
    yaml: 'firewall:\n  allow: [70000/tcp]\n',
    expected: [{ path: '$.firewall.allow[0]', line: 2, message: /ports must be from 1 to 65535, got 70000/ }],
  },
  {
    name: 'a range backwards',
    yaml: 'firewall:\n  allow:\n    - 8100:8000/tcp\n',
    expected: [{ path: '$.firewall.allow[0]', line: 3, column: 7, message: /lower to a higher port, got 8100:8000/ }],
  },
  // report
  {
    name: 'a report with nowhere to go',
    yaml: 'report:\n  enabled: true\n',
    expected: [
      {
        path: '$.report.enabled',
        line: 2,
        column: 12,
        message: /the report needs report.to and report.from \(or an address as smtp.user\) and report.smtp.host/,
      },
    ],
  },
  {
    name: 'a report password without a login',
    yaml: 'report:\n  smtp: { password: secret:smtp }\n',
    expected: [{ path: '$.report.smtp.password', line: 2, message: /a password needs report.smtp.user/ }],
  },
  {
    name: 'a report address that is not one',
    yaml: 'report:\n  to: ops\n',
    expected: [{ path: '$.report.to', line: 2, column: 7, message: /must be an email address/ }],
  },
  {
    name: 'an SMTP password in the clear',
    yaml: 'report:\n  smtp: { user: me, password: hunter2 }\n',
    expected: [{ path: '$.report.smtp.password', line: 2, message: /a secret's value never sits in the config/ }],
  },
  {
    name: 'a range of one port',
    yaml: 'firewall:\n  allow: ["8000:8000/tcp"]\n',
    expected: [{ path: '$.firewall.allow[0]', line: 2, message: /for one port write 8000/ }],
  },
  {
    name: 'opening the ssh port',
    yaml: 'firewall:\n  allow: [443/tcp, 22/tcp]\n',
    expected: [{ path: '$.firewall.allow[1]', line: 2, column: 20, message: /opens the ssh port 22\/tcp.*rate limit/ }],
  },
  {
    name: 'a range covering a custom ssh port',
    yaml: 'ssh:\n  port: 2222\nfirewall:\n  allow: [2000:3000/tcp]\n',
    expected: [{ path: '$.firewall.allow[0]', line: 4, message: /ssh port 2222/ }],
  },
  {
    name: 'udp over the mosh range',
    yaml: 'firewall:\n  allow: [60005/udp]\n',
    expected: [{ path: '$.firewall.allow[0]', line: 2, message: /overlaps the mosh range 60000:60010\/udp/ }],
  },
  {
    name: 'udp over a moved mosh range',
    yaml: 'mosh:\n  ports: "61000:61010"\nfirewall:\n  allow: [60005/udp, 60990:61000/udp]\n',
    expected: [{ path: '$.firewall.allow[1]', line: 4, message: /mosh range 61000:61010/ }],
  },
  {
    name: 'the same entry twice',
    yaml: 'firewall:\n  allow:\n    - 443/tcp\n    - 80/tcp\n    - 443/tcp\n',
    expected: [{ path: '$.firewall.allow[2]', line: 5, column: 7, message: /repeats \$\.firewall\.allow\[0\]/ }],
  },
  {
    name: 'overlapping entries',
    yaml: 'firewall:\n  allow: [8000:8100/tcp, 8050/tcp, 8050/udp]\n',
    expected: [
      { path: '$.firewall.allow[1]', line: 2, message: /overlaps \$\.firewall\.allow\[0\] \(8000:8100\/tcp\)/ },
    ],
  },
  {
    name: 'mosh ports as a number',
    yaml: 'mosh:\n  ports: 60000\n',
    expected: [{ path: '$.mosh.ports', line: 2, column: 10, message: /must be a UDP port range "FROM:TO".*got 60000/ }],
  },
  {
    name: 'mosh ports with a dash',
    yaml: 'mosh:\n  ports: 60000-60010\n',
    expected: [{ path: '$.mosh.ports', line: 2, message: /"FROM:TO"/ }],
  },
  {
    name: 'mosh ports backwards',
    yaml: 'mosh:\n  ports: "60010:60000"\n',
    expected: [{ path: '$.mosh.ports', line: 2, message: /lower to a higher/ }],
  },
  // devtools
  {
    name: 'Context7 without Claude Code',
    yaml: 'devtools:\n  enabled: true\n  claude: false\n  context7: true\n',
    expected: [
      { path: '$.devtools.context7', line: 4, message: /MCP server for Claude Code: it needs devtools.claude: true/ },
    ],
  },
  {
    name: 'Context7 on an image whose Node is too old',
    image: 'ubuntu-24.04',
    yaml: 'devtools:\n  enabled: true\n  context7: true\n',
    expected: [
      {
        path: '$.devtools.context7',
        line: 3,
        column: 13,
        message:
          /Context7 needs Node.js 20.18.1 or later, and ubuntu-24.04 has 18.19: use --image debian-13, or set devtools.context7: false/,
      },
    ],
  },
  {
    name: 'GSD without Claude Code',
    yaml: 'devtools:\n  enabled: true\n  claude: false\n  gsd: true\n',
    expected: [
      { path: '$.devtools.gsd', line: 4, message: /a workflow for Claude Code.*: it needs devtools.claude: true/ },
    ],
  },
  {
    name: 'a GitHub token in the clear',
    yaml: 'devtools:\n  github_token: ghp_abc\n',
    expected: [{ path: '$.devtools.github_token', line: 2, message: /a secret's value never sits in the config/ }],
  },
  // geoip
  {
    name: 'Tailscale without its auth key',
    yaml: 'tailscale:\n  enabled: true\n',
    expected: [
      {
        path: '$.tailscale.enabled',
        line: 2,
        column: 12,
        message: /Tailscale needs tailscale.auth_key: "secret:NAME"/,
      },
    ],
  },
  {
    name: 'SSH through a tailnet that is off',
    yaml: 'tailscale:\n  ssh_via_tailnet_only: true\n',
    expected: [
      { path: '$.tailscale.ssh_via_tailnet_only', line: 2, column: 25, message: /needs tailscale.enabled: true/ },
    ],
  },
  {
    name: 'SSH through the tailnet only without a console password',
    yaml: 'tailscale:\n  enabled: true\n  auth_key: secret:ts\n  ssh_via_tailnet_only: true\n',
    expected: [
      {
        path: '$.tailscale.ssh_via_tailnet_only',
        line: 4,
        column: 25,
        message: /needs admin.password: "secret:NAME", .*an expired node key or a tailnet ACL that drops port 22/,
      },
    ],
  },
  {
    name: 'a Tailscale auth key in the clear',
    yaml: 'tailscale:\n  enabled: true\n  auth_key: tskey-auth-abc\n',
    expected: [
      { path: '$.tailscale.auth_key', line: 3, column: 13, message: /a secret's value never sits in the config/ },
    ],
  },
  {
    name: 'a tag without its prefix, a short fingerprint',
    yaml: 'tailscale:\n  tags: [server]\n  repository: { key: 2596A99E }\n',
    expected: [
      { path: '$.tailscale.tags[0]', line: 2, column: 10, message: /a Tailscale tag, "tag:NAME"/ },
      { path: '$.tailscale.repository.key', line: 3, column: 22, message: /an OpenPGP key fingerprint, 40 hex digits/ },
    ],
  },
  {
    name: 'GeoIP blocking with no country',
    yaml: 'geoip:\n  enabled: true\n',
    expected: [{ path: '$.geoip.enabled', line: 2, column: 12, message: /GeoIP blocking needs geoip.countries/ }],
  },
  {
    name: 'a country in lowercase',
    yaml: 'geoip:\n  countries: [DE, at]\n',
    expected: [{ path: '$.geoip.countries[1]', line: 2, message: /two capital letters.*got "at"/ }],
  },
  {
    name: 'an always-allowed address that is not one',
    yaml: 'geoip:\n  always_allow: [203.0.113.300]\n',
    expected: [{ path: '$.geoip.always_allow[0]', line: 2, message: /not an IPv4 or IPv6 address/ }],
  },
  {
    name: 'an IPv4 prefix over 32',
    yaml: 'geoip:\n  always_allow: [203.0.113.0/33]\n',
    expected: [{ path: '$.geoip.always_allow[0]', line: 2, message: /prefix length must be from 0 to 32/ }],
  },
  {
    name: 'own GeoIP data without its pin',
    yaml: 'geoip:\n  data: { package: my-geo@1.0.0 }\n',
    expected: [{ path: '$.geoip.data', line: 2, message: /needs both package and integrity/ }],
  },
];
