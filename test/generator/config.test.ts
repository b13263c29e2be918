import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configHash, loadConfig, type Diagnostic } from '../../generator/config';

const root = new URL('../../', import.meta.url).pathname;
const demoKeyFile = join(root, 'examples/demo_ed25519.pub');
const demoKey = readFileSync(demoKeyFile, 'utf8').trim();

interface Expected {
  path: string;
  /** undefined: the diagnostic has no place in the file */
  line: number | undefined;
  column?: number;
  message: RegExp;
}
interface Case {
  name: string;
  yaml: string;
  expected: Expected[];
  /** --ssh-key values; the demo key unless given */
  sshKeys?: string[];
  /** the image the CLI says the server runs */
  image?: string;
}

const cases: Case[] = [
  // types and ranges
  {
    name: 'port out of range',
    yaml: 'ssh:\n  port: 70000\n',
    expected: [{ path: '$.ssh.port', line: 2, column: 9, message: /^must be an integer from 1 to 65535, got 70000$/ }],
  },
  {
    name: 'port as a string',
    yaml: 'ssh:\n  port: "22"\n',
    expected: [
      { path: '$.ssh.port', line: 2, column: 9, message: /must be an integer from 1 to 65535, got string "22"/ },
    ],
  },
  {
    name: 'port zero',
    yaml: 'ssh: { port: 0 }\n',
    expected: [{ path: '$.ssh.port', line: 1, column: 14, message: /got 0$/ }],
  },
  {
    name: 'port not whole',
    yaml: 'ssh:\n  port: 22.5\n',
    expected: [{ path: '$.ssh.port', line: 2, message: /must be an integer .* got 22.5/ }],
  },
  {
    name: 'a section that is not a mapping',
    yaml: 'ssh: 22\n',
    expected: [{ path: '$.ssh', line: 1, column: 6, message: /must be a mapping, got 22/ }],
  },
  {
    name: 'a document that is a list',
    yaml: '- a\n- b\n',
    expected: [{ path: '$', line: 1, message: /must be a mapping, got a list/ }],
  },
  {
    name: 'a boolean as a string',
    yaml: 'audit:\n  enabled: "yes"\n',
    expected: [{ path: '$.audit.enabled', line: 2, column: 12, message: /must be true or false, got string "yes"/ }],
  },
  // unknown keys
  {
    name: 'a misspelt top-level key',
    yaml: 'hostnme: dev1\n',
    expected: [{ path: '$.hostnme', line: 1, column: 1, message: /unknown key "hostnme"; did you mean "hostname"\?/ }],
  },
  {
    name: 'an unknown key with nothing close',
    yaml: 'colour: red\n',
    expected: [{ path: '$.colour', line: 1, message: /unknown key "colour"; allowed keys: hostname, timezone, admin/ }],
  },
  {
    name: 'a misspelt nested key',
    yaml: 'ssh:\n  prot: 22\n',
    expected: [{ path: '$.ssh.prot', line: 2, column: 3, message: /did you mean "port"/ }],
  },
  {
    name: 'a key from another section',
    yaml: 'fail2ban:\n  ports: "1:2"\n',
    expected: [{ path: '$.fail2ban.ports', line: 2, message: /unknown key "ports"/ }],
  },
  // hostname and time zone
  {
    name: 'an uppercase hostname',
    yaml: 'hostname: Dev1\n',
    expected: [{ path: '$.hostname', line: 1, column: 11, message: /lowercase here: use "dev1"/ }],
  },
  {
    name: 'an underscore in the hostname',
    yaml: 'hostname: dev_1\n',
    expected: [{ path: '$.hostname', line: 1, message: /must be an RFC 1123 hostname.*got "dev_1"/ }],
  },
  {
    name: 'a hostname label over 63 characters',
    yaml: `hostname: ${'a'.repeat(64)}.example\n`,
    expected: [{ path: '$.hostname', line: 1, message: /1 to 63 characters/ }],
  },
  {
    name: 'a hostname ending in a dash',
    yaml: 'hostname: dev-\n',
    expected: [{ path: '$.hostname', line: 1, message: /RFC 1123/ }],
  },
  {
    name: 'a numeric hostname',
    yaml: 'hostname: 123\n',
    expected: [{ path: '$.hostname', line: 1, message: /got 123$/ }],
  },
  {
    name: 'an unknown time zone',
    yaml: 'timezone: Mars/Olympus\n',
    expected: [{ path: '$.timezone', line: 1, column: 11, message: /unknown time zone "Mars\/Olympus"/ }],
  },
  {
    name: 'a time zone in the wrong case',
    yaml: 'timezone: europe/paris\n',
    expected: [{ path: '$.timezone', line: 1, message: /case-sensitive.*use "Europe\/Paris"/ }],
  },
  {
    name: 'a time zone given as an offset',
    yaml: 'timezone: "+01:00"\n',
    expected: [{ path: '$.timezone', line: 1, message: /unknown time zone/ }],
  },
  // admin
  {
    name: 'root as the admin',
    yaml: 'admin:\n  name: root\n',
    expected: [{ path: '$.admin.name', line: 2, column: 9, message: /cannot be root/ }],
  },
  {
    name: 'a system account as the admin',
    yaml: 'admin:\n  name: sshd\n',
    expected: [{ path: '$.admin.name', line: 2, message: /"sshd" is a system account or group name/ }],
  },
  {
    name: 'a systemd account as the admin',
    yaml: 'admin:\n  name: systemd-network\n',
    expected: [{ path: '$.admin.name', line: 2, message: /system account/ }],
  },
  {
    name: 'a group name as the admin',
    yaml: 'admin:\n  name: sudo\n',
    expected: [{ path: '$.admin.name', line: 2, message: /system account or group/ }],
  },
  {
    name: 'an uppercase user name',
    yaml: 'admin:\n  name: Fx\n',
    expected: [{ path: '$.admin.name', line: 2, message: /must be a user name.*got "Fx"/ }],
  },
  {
    name: 'a user name of 33 characters',
    yaml: `admin:\n  name: ${'a'.repeat(33)}\n`,
    expected: [{ path: '$.admin.name', line: 2, message: /up to 31/ }],
  },
  {
    name: 'a shell not on the list',
    yaml: 'admin:\n  shell: /bin/fish\n',
    expected: [
      {
        path: '$.admin.shell',
        line: 2,
        column: 10,
        message: /must be one of \/bin\/bash, .*\/usr\/bin\/fish, got "\/bin\/fish"/,
      },
    ],
  },
  {
    name: 'ssh_keys as one string',
    yaml: `admin:\n  ssh_keys: "${demoKey}"\n`,
    expected: [{ path: '$.admin.ssh_keys', line: 2, column: 13, message: /must be a list of an ssh public key/ }],
  },
  {
    name: 'a key cut short',
    yaml: `admin:\n  ssh_keys:\n    - ${demoKey}\n    - ${demoKey.slice(0, 40)}\n`,
    expected: [{ path: '$.admin.ssh_keys[1]', line: 4, column: 7, message: /ends too early/ }],
  },
  {
    name: 'a private key pasted',
    yaml: 'admin:\n  ssh_keys:\n    - |\n      -----BEGIN OPENSSH PRIVATE KEY-----\n      b3BlbnNzaC1rZXktdjEAAAAA\n      -----END OPENSSH PRIVATE KEY-----\n',
    expected: [{ path: '$.admin.ssh_keys[0]', line: 3, column: 7, message: /this is a private key/ }],
  },
  {
    name: 'a key file that does not exist',
    yaml: 'admin:\n  ssh_keys: [./missing.pub]\n',
    expected: [
      {
        path: '$.admin.ssh_keys[0]',
        line: 2,
        column: 14,
        message:
          /cannot read key file \.\/missing\.pub \(.*missing\.pub\): there is no such file; to make a key pair: ssh-keygen -t ed25519/,
      },
    ],
  },
  {
    name: 'no key anywhere',
    yaml: 'timezone: Etc/UTC\n',
    sshKeys: [],
    expected: [
      { path: '$.admin.ssh_keys', line: undefined, message: /at least one ssh public key is required.*--ssh-key PATH/ },
    ],
  },
  {
    name: 'no key, with an admin section',
    yaml: 'admin:\n  name: fx\n',
    sshKeys: [],
    expected: [{ path: '$.admin.ssh_keys', line: 1, column: 1, message: /at least one ssh public key/ }],
  },
  {
    name: 'an empty key list',
    yaml: 'admin:\n  ssh_keys: []\n',
    sshKeys: [],
    expected: [{ path: '$.admin.ssh_keys', line: 2, column: 13, message: /at least one ssh public key/ }],
  },
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
  // fail2ban, upgrades, packages
  {
    name: 'a duration with no unit',
    yaml: 'fail2ban:\n  bantime: 3600\n',
    expected: [{ path: '$.fail2ban.bantime', line: 2, message: /must be a duration.*got 3600/ }],
  },
  {
    name: 'a duration with a bad unit',
    yaml: 'fail2ban: { findtime: 10y }\n',
    expected: [{ path: '$.fail2ban.findtime', line: 1, column: 23, message: /must be a duration.*got "10y"/ }],
  },
  {
    name: 'a zero duration',
    yaml: 'fail2ban: { bantime: 0m }\n',
    expected: [{ path: '$.fail2ban.bantime', line: 1, message: /longer than zero/ }],
  },
  {
    name: 'maxretry out of range',
    yaml: 'fail2ban:\n  maxretry: 101\n',
    expected: [{ path: '$.fail2ban.maxretry', line: 2, message: /from 1 to 100, got 101/ }],
  },
  {
    name: 'a reboot time past midnight',
    yaml: 'upgrades:\n  reboot: "24:00"\n',
    expected: [{ path: '$.upgrades.reboot', line: 2, column: 11, message: /"HH:MM" from 00:00 to 23:59.*got "24:00"/ }],
  },
  {
    name: 'a reboot time without a leading zero',
    yaml: 'upgrades:\n  reboot: 4:00\n',
    expected: [{ path: '$.upgrades.reboot', line: 2, message: /got "4:00"/ }],
  },
  {
    name: 'reboot: true',
    yaml: 'upgrades:\n  reboot: true\n',
    expected: [{ path: '$.upgrades.reboot', line: 2, message: /or false, got true/ }],
  },
  {
    name: 'an uppercase package',
    yaml: 'packages: [htop, Vim]\n',
    expected: [{ path: '$.packages[1]', line: 1, column: 18, message: /Debian package name.*got "Vim"/ }],
  },
  {
    name: 'packages as one string',
    yaml: 'packages: htop vim\n',
    expected: [{ path: '$.packages', line: 1, message: /must be a list.*got string "htop vim"/ }],
  },
  // yaml itself
  {
    name: 'bad indentation',
    yaml: 'ssh:\n  port: 22\n port: 23\n',
    expected: [{ path: '$', line: 3, message: /^invalid yaml: / }],
  },
  {
    name: 'a key given twice',
    yaml: 'ssh:\n  port: 22\n  port: 23\n',
    expected: [{ path: '$', line: 3, message: /invalid yaml: duplicated mapping key/ }],
  },
  {
    name: 'a tab for indentation',
    yaml: 'ssh:\n\tport: 22\n',
    expected: [{ path: '$', line: 2, message: /invalid yaml/ }],
  },
  {
    name: 'an unclosed flow list',
    yaml: 'packages: [htop\n',
    expected: [{ path: '$', line: 2, message: /invalid yaml/ }],
  },
  // several at once, in file order
  {
    name: 'several errors in one file',
    yaml: [
      '# my server',
      'hostname: Dev1',
      'admin:',
      '  name: root',
      '  ssh_keys:',
      `    - ${demoKey}`,
      '    - "ssh-ed25519 AAAA"',
      'ssh:',
      '  port: 70000',
      'firewall:',
      '  allow: [443/tcp, 443/tcp]',
      'mosh: { enable: true }',
      '',
    ].join('\n'),
    expected: [
      { path: '$.hostname', line: 2, column: 11, message: /lowercase/ },
      { path: '$.admin.name', line: 4, column: 9, message: /cannot be root/ },
      { path: '$.admin.ssh_keys[1]', line: 7, column: 7, message: /ends too early/ },
      { path: '$.ssh.port', line: 9, column: 9, message: /65535, got 70000/ },
      { path: '$.firewall.allow[1]', line: 11, column: 20, message: /repeats \$\.firewall\.allow\[0\]/ },
      { path: '$.mosh.enable', line: 12, column: 9, message: /did you mean "enabled"/ },
    ],
  },
];

function check(diagnostics: Diagnostic[], expected: Expected[]) {
  const shown = JSON.stringify(
    diagnostics.map((d) => [d.path, d.span?.line, d.span?.column, d.message]),
    null,
    1,
  );
  assert.is(diagnostics.length, expected.length, `diagnostics: ${shown}`);
  expected.forEach((want, i) => {
    const got = diagnostics[i];
    assert.is(got.path, want.path, shown);
    assert.is(got.span?.line, want.line, shown);
    if (want.column !== undefined) assert.is(got.span?.column, want.column, shown);
    assert.match(got.message, want.message, shown);
  });
}

for (const c of cases) {
  test(`refuses ${c.name}`, async () => {
    const { config, diagnostics } = await loadConfig({
      file: join(root, 'firstboot.yaml'),
      text: c.yaml,
      sshKeys: c.sshKeys ?? [demoKeyFile],
      image: c.image,
    });
    assert.is(config, undefined);
    check(diagnostics, c.expected);
  });
}

test('the corpus is big enough', () => {
  assert.ok(cases.length >= 30);
});

// -- good configs

const defaults = {
  timezone: 'Etc/UTC',
  admin: { name: 'admin', shell: '/bin/bash', ssh_keys: [demoKey], password: undefined },
  ssh: { port: 22, forwarding: 'no' },
  firewall: { allow: [] },
  mosh: { enabled: true, ports: '60000:60010' },
  fail2ban: { enabled: true, bantime: '1h', findtime: '10m', maxretry: 3 },
  audit: { enabled: true },
  sysctl: { enabled: true },
  upgrades: { enabled: true, reboot: '04:00' },
  report: {
    enabled: false,
    to: undefined,
    from: undefined,
    time: '07:00',
    smtp: { host: undefined, port: 587, tls: 'starttls', user: undefined, password: undefined },
  },
  devtools: { enabled: false, claude: true, context7: false, github_token: undefined },
  geoip: {
    enabled: false,
    countries: [],
    ports: [],
    always_allow: [],
    data: { package: undefined, integrity: undefined },
  },
  tailscale: {
    enabled: false,
    auth_key: undefined,
    hostname: undefined,
    tags: [],
    accept_dns: true,
    ssh_via_tailnet_only: false,
    repository: { url: 'https://pkgs.tailscale.com/stable', key: '2596A99EAAB33821893C0A79458CA832957F5868' },
  },
  packages: [],
};

test('no file: the built-in defaults and the --ssh-key key', async () => {
  const { config, diagnostics, source } = await loadConfig({ sshKeys: [demoKeyFile] });
  assert.equal(diagnostics, []);
  assert.equal(config, { hostname: undefined, ...defaults });
  assert.is(source.name, '(built-in defaults)');
});

test('empty sections and comments take the defaults', async () => {
  const { config, diagnostics } = await loadConfig({
    text: `# nothing\nmosh:\nfail2ban: {}\nadmin:\n  ssh_keys: ["${demoKey}"]\n`,
  });
  assert.equal(diagnostics, []);
  assert.equal(config, { hostname: undefined, ...defaults });
});

test('every option set resolves to itself, allow entries split into port and protocol', async () => {
  const { config, diagnostics } = await loadConfig({
    sshKeys: [demoKeyFile],
    text: [
      'hostname: dev1.example.com',
      'timezone: Europe/Paris',
      'admin: { name: fx, shell: /usr/bin/zsh, password: secret:console }',
      'ssh: { port: 2222, forwarding: local }',
      'firewall: { allow: [22/tcp, 443/tcp, 443/udp, "8000:8100/tcp", 60005/udp] }',
      'mosh: { enabled: false, ports: "61000:61010" }',
      'fail2ban: { enabled: false, bantime: 2d, findtime: 30s, maxretry: 5 }',
      'audit: { enabled: false }',
      'sysctl: { enabled: false }',
      'upgrades: { enabled: true, reboot: false }',
      'report: { enabled: true, to: ops@example.org, time: "06:30", smtp: { host: smtp.example.org, port: 465, tls: tls, user: fb@example.org, password: secret:smtp } }',
      'devtools: { enabled: true, claude: true, context7: true, github_token: secret:gh }',
      'geoip: { enabled: true, countries: [DE, AT], ports: [22/tcp], always_allow: [198.51.100.7, "2001:db8::/32"] }',
      'tailscale: { enabled: true, auth_key: secret:ts, hostname: web1, tags: [tag:server], accept_dns: false, ssh_via_tailnet_only: true, repository: { url: "http://mirror.test/tailscale", key: 0123456789ABCDEF0123456789ABCDEF01234567 } }',
      'packages: [htop, g++, libfoo1.2-dev]',
    ].join('\n'),
  });
  assert.equal(diagnostics, []);
  assert.equal(config, {
    hostname: 'dev1.example.com',
    timezone: 'Europe/Paris',
    admin: { name: 'fx', shell: '/usr/bin/zsh', ssh_keys: [demoKey], password: 'console' },
    ssh: { port: 2222, forwarding: 'local' },
    firewall: {
      allow: [
        { port: '22', proto: 'tcp' },
        { port: '443', proto: 'tcp' },
        { port: '443', proto: 'udp' },
        { port: '8000:8100', proto: 'tcp' },
        { port: '60005', proto: 'udp' },
      ],
    },
    mosh: { enabled: false, ports: '61000:61010' },
    fail2ban: { enabled: false, bantime: '2d', findtime: '30s', maxretry: 5 },
    audit: { enabled: false },
    sysctl: { enabled: false },
    upgrades: { enabled: true, reboot: false },
    report: {
      enabled: true,
      to: 'ops@example.org',
      from: undefined,
      time: '06:30',
      smtp: { host: 'smtp.example.org', port: 465, tls: 'tls', user: 'fb@example.org', password: 'smtp' },
    },
    devtools: { enabled: true, claude: true, context7: true, github_token: 'gh' },
    geoip: {
      enabled: true,
      countries: ['DE', 'AT'],
      ports: [{ port: '22', proto: 'tcp' }],
      always_allow: ['198.51.100.7', '2001:db8::/32'],
      data: { package: undefined, integrity: undefined },
    },
    tailscale: {
      enabled: true,
      auth_key: 'ts',
      hostname: 'web1',
      tags: ['tag:server'],
      accept_dns: false,
      ssh_via_tailnet_only: true,
      repository: { url: 'http://mirror.test/tailscale', key: '0123456789ABCDEF0123456789ABCDEF01234567' },
    },
    packages: ['htop', 'g++', 'libfoo1.2-dev'],
  });
});

test('key paths: ~ is home, relative paths start at the config file, duplicates count once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'firstboot-config-'));
  writeFileSync(join(dir, 'me.pub'), `# my key\n${demoKey}\n\n`);
  const { config, diagnostics } = await loadConfig({
    file: join(dir, 'firstboot.yaml'),
    text: 'admin:\n  ssh_keys: [./me.pub, ~/me.pub, me.pub]\n',
    sshKeys: [demoKeyFile],
    home: dir,
  });
  assert.equal(diagnostics, []);
  assert.equal(config?.admin.ssh_keys, [demoKey]);
});

test('a private key file is refused by name', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'firstboot-config-'));
  writeFileSync(
    join(dir, 'id_ed25519'),
    '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n',
  );
  const { diagnostics } = await loadConfig({ file: join(dir, 'f.yaml'), text: 'admin:\n  ssh_keys: [./id_ed25519]\n' });
  check(diagnostics, [
    {
      path: '$.admin.ssh_keys[0]',
      line: 2,
      message: /\.\/id_ed25519 is a private key: give the public key \(\.\/id_ed25519\.pub\)/,
    },
  ]);
});

test('a bad line in a key file names the file and the line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'firstboot-config-'));
  writeFileSync(join(dir, 'keys.pub'), `${demoKey}\nssh-ed25519 AAAA\n`);
  const { diagnostics } = await loadConfig({ file: join(dir, 'f.yaml'), text: 'admin:\n  ssh_keys: [keys.pub]\n' });
  check(diagnostics, [
    { path: '$.admin.ssh_keys[0]', line: 2, message: /^keys\.pub line 2: the key data ends too early/ },
  ]);
});

test('--ssh-key problems have no place in the file and name the flag', async () => {
  const { diagnostics } = await loadConfig({
    text: 'ssh: { port: 22 }\n',
    sshKeys: ['/nonexistent/id.pub', 'ssh-ed25519 AAAA'],
  });
  assert.equal(
    diagnostics.map((d) => [d.path, d.origin, d.span]),
    [
      ['--ssh-key', '--ssh-key /nonexistent/id.pub', undefined],
      ['--ssh-key', '--ssh-key value 2', undefined],
    ],
  );
  assert.match(
    diagnostics[0].message,
    /cannot read key file \/nonexistent\/id\.pub: there is no such file; to make a key pair: ssh-keygen/,
  );
});

test('an unreadable config file is one diagnostic', async () => {
  const { config, diagnostics } = await loadConfig({ file: '/nonexistent/firstboot.yaml', sshKeys: [demoKeyFile] });
  assert.is(config, undefined);
  check(diagnostics, [
    {
      path: '$',
      line: undefined,
      message: /cannot read config file \/nonexistent\/firstboot\.yaml: there is no such file$/,
    },
  ]);
});

test('udp inside the mosh range is fine when mosh is off', async () => {
  const { diagnostics } = await loadConfig({
    text: 'mosh: { enabled: false }\nfirewall: { allow: [60005/udp] }\n',
    sshKeys: [demoKeyFile],
  });
  assert.equal(diagnostics, []);
});

test('a bad ssh port does not also report the allow entry on it', async () => {
  const { diagnostics } = await loadConfig({
    text: 'ssh: { port: 0 }\nfirewall: { allow: [22/tcp] }\n',
    sshKeys: [demoKeyFile],
  });
  assert.equal(
    diagnostics.map((d) => d.path),
    ['$.ssh.port'],
  );
});

// -- the shipped examples

test('examples/firstboot.yaml is valid', async () => {
  const { diagnostics, config } = await loadConfig({ file: join(root, 'examples/firstboot.yaml') });
  assert.equal(diagnostics, []);
  assert.is(config?.admin.name, 'fx');
});

test('every yaml block in README.md is a valid config', async () => {
  let readme: string;
  try {
    readme = readFileSync(join(root, 'README.md'), 'utf8');
  } catch {
    return; // no README yet
  }
  // The README's commands pass --ssh-key; blocks showing generated user-data are not configs.
  const blocks = [...readme.matchAll(/^```yaml\n([\s\S]*?)^```/gm)]
    .map((m) => m[1])
    .filter((b) => !b.startsWith('#cloud-config'));
  for (const text of blocks) {
    const { diagnostics } = await loadConfig({ file: join(root, 'README.md'), text, sshKeys: [demoKeyFile] });
    assert.equal(diagnostics, [], text);
  }
});

// -- configHash

test('configHash: sha256 hex, independent of key order, sensitive to values', async () => {
  const a = await loadConfig({ text: 'ssh: { port: 2222 }\ntimezone: Europe/Paris\n', sshKeys: [demoKeyFile] });
  const b = await loadConfig({ text: 'timezone: Europe/Paris\nssh: { port: 2222 }\n', sshKeys: [demoKeyFile] });
  const c = await loadConfig({ text: 'timezone: Europe/Paris\nssh: { port: 2223 }\n', sshKeys: [demoKeyFile] });
  assert.match(configHash(a.config!), /^[0-9a-f]{64}$/);
  assert.is(configHash(a.config!), configHash(b.config!));
  assert.is.not(configHash(a.config!), configHash(c.config!));
});

test.run();
