// loadConfig on configs it takes: the defaults, every option resolved, key files, diagnostics that are not the
// refusal corpus's (config-refusals.test.ts), the shipped examples, and configHash.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configHash, loadConfig } from '../../generator/config';
import { check, demoKey, demoKeyFile, root } from './config-setup';

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
  devtools: {
    enabled: false,
    claude: true,
    context7: false,
    gsd: false,
    nix_gc: { enabled: true, days: 30 },
    github_token: undefined,
  },
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
      'report: { enabled: true, to: ops@example.org, time: "06:30", smtp: { host: smtp.example.org, port: 465, ' +
        'tls: tls, user: fb@example.org, password: secret:smtp } }',
      'devtools: { enabled: true, claude: true, context7: true, gsd: true, nix_gc: { days: 14 }, ' +
        'github_token: secret:gh }',
      'geoip: { enabled: true, countries: [DE, AT], ports: [22/tcp], always_allow: [198.51.100.7, "2001:db8::/32"] }',
      'tailscale: { enabled: true, auth_key: secret:ts, hostname: web1, tags: [tag:server], ' +
        'accept_dns: false, ssh_via_tailnet_only: true, repository: { url: ' +
        '"http://mirror.test/tailscale", key: 0123456789ABCDEF0123456789ABCDEF01234567 } }',
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
    devtools: {
      enabled: true,
      claude: true,
      context7: true,
      gsd: true,
      nix_gc: { enabled: true, days: 14 },
      github_token: 'gh',
    },
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
