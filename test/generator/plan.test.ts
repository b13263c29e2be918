import { test } from 'uvu';
import { readFileSync } from 'node:fs';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../generator/config/load';
import { plan } from '../../generator/plan';
import type { Plan } from '../../contract/plan';
import { DEVTOOLS_PINS } from '../../contract/devtools-pins';
import { nodeNeeded } from '../../generator/capabilities/devtools';

const KEY = 'examples/demo_ed25519.pub';

async function planFor(yaml: string, options: Parameters<typeof plan>[1] = {}): Promise<Plan> {
  const { config, diagnostics } = await loadConfig({ text: yaml, sshKeys: [KEY] });
  assert.equal(diagnostics, []);
  return plan(config!, options);
}

const ids = (p: Plan) => p.steps.map((s) => s.id);
const step = <I extends Plan['steps'][number]['id']>(p: Plan, id: I) =>
  p.steps.find((s) => s.id === id) as Extract<Plan['steps'][number], { id: I }>;

test('the defaults: every capability, in dependency order, no hostname, no extras', async () => {
  const p = await planFor('');
  assert.equal(ids(p), [
    'packages',
    'timezone',
    'admin',
    'ssh',
    'firewall',
    'fail2ban',
    'audit',
    'sysctl',
    'pam',
    'baseline',
    'upgrades',
  ]);
  assert.equal(step(p, 'packages').install, [
    'tzdata',
    'sudo',
    'passwd',
    'openssh-server',
    'iproute2',
    'ufw',
    'mosh',
    'fail2ban',
    'python3-systemd',
    'iptables',
    'auditd',
    'procps',
    'libpam-pwquality',
    'libpam-tmpdir',
    'apparmor',
    'acct',
    'debsums',
    'needrestart',
    'apt-listchanges',
    'apt-show-versions',
    'unattended-upgrades',
  ]);
  assert.equal(
    step(p, 'firewall').rules.map((r) => `${r.action} ${r.port}/${r.proto}`),
    ['limit 22/tcp', 'allow 60000:60010/udp'],
  );
  assert.is(step(p, 'admin').name, 'admin');
  assert.ok(step(p, 'ssh').settings.some(([k, v]) => k === 'AllowUsers' && v === 'admin'));
  assert.is(p.mode, 'boot');
});

test("the runner's npm packages are pinned as package-lock.json records them, from the registry given", async () => {
  const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
  const zx = lock.packages['node_modules/zx'];
  assert.equal((await planFor('')).npm, {
    registry: 'https://registry.npmjs.org/',
    packages: [{ name: 'zx', version: zx.version, integrity: zx.integrity }],
  });
  assert.is((await planFor('', { registry: 'http://mirror.test/npm/' })).npm.registry, 'http://mirror.test/npm/');
});

test('switched-off capabilities leave their steps and packages out', async () => {
  const p = await planFor(
    'mosh: {enabled: false}\nfail2ban: {enabled: false}\naudit: {enabled: false}\nsysctl: {enabled: false}\n' +
      'upgrades: {enabled: false}\n',
  );
  assert.equal(ids(p), ['packages', 'timezone', 'admin', 'ssh', 'firewall', 'pam', 'baseline']);
  assert.equal(step(p, 'packages').install, [
    'tzdata',
    'sudo',
    'passwd',
    'openssh-server',
    'iproute2',
    'ufw',
    'libpam-pwquality',
    'libpam-tmpdir',
    'apparmor',
    'acct',
    'debsums',
    'needrestart',
    'apt-listchanges',
    'apt-show-versions',
  ]);
  assert.equal(
    step(p, 'firewall').rules.map((r) => r.port),
    ['22'],
  );
});

test('the config reaches each step: port, admin, shell, allow list, durations, reboot, extras', async () => {
  const p = await planFor(`hostname: dev1
admin: {name: ops, shell: /usr/bin/zsh}
ssh: {port: 2222, forwarding: local}
firewall: {allow: [443/tcp, 8000:8100/tcp]}
fail2ban: {bantime: 2h, maxretry: 5}
upgrades: {reboot: false}
packages: [htop, git]
`);
  assert.equal(ids(p).slice(0, 2), ['packages', 'hostname']);
  assert.is(ids(p).at(-1), 'extras');
  assert.equal(step(p, 'extras').install, ['htop', 'git']);
  assert.ok(step(p, 'packages').install.includes('zsh'));
  assert.not.ok(step(p, 'packages').install.includes('htop'), 'extras never share the hardening transaction');
  assert.is(step(p, 'ssh').port, 2222);
  const sshd = new Map(step(p, 'ssh').settings);
  assert.is(sshd.get('AllowTcpForwarding'), 'local');
  assert.is(new Map(step(await planFor(''), 'ssh').settings).get('AllowTcpForwarding'), 'no');
  assert.equal(step(p, 'baseline').cronUsers, ['ops']);
  // compilers for root only when no user builds code: not with the toolchain, nor with one among the user's packages
  assert.equal(step(await planFor(''), 'baseline').rootOnly, ['as', 'ld', 'cc', 'gcc', 'clang']);
  assert.is(step(await planFor('devtools:\n  enabled: true\n'), 'baseline').rootOnly, undefined);
  assert.is(step(await planFor('packages: [htop, build-essential]\n'), 'baseline').rootOnly, undefined);
  assert.ok(step(p, 'baseline').rootOnly);
  assert.equal(
    step(p, 'firewall').rules.map((r) => `${r.action} ${r.port}/${r.proto} ${r.comment}`),
    [
      'limit 2222/tcp firstboot ssh',
      'allow 60000:60010/udp firstboot mosh',
      'allow 443/tcp firstboot allow',
      'allow 8000:8100/tcp firstboot allow',
    ],
  );
  assert.is(step(p, 'fail2ban').sshPort, 2222);
  assert.is(step(p, 'fail2ban').bantimeSeconds, 7200);
  assert.is(step(p, 'fail2ban').maxretry, 5);
  assert.is(step(p, 'upgrades').reboot, false);
  assert.is(step(p, 'admin').shell, '/usr/bin/zsh');
});

test('secrets add the metadata step right after the packages; image mode is carried', async () => {
  const p = await planFor('', { secrets: true, mode: 'image' });
  assert.equal(ids(p).slice(0, 2), ['packages', 'metadata']);
  assert.is(p.mode, 'image');
});

test('the plan is pure: same config, same plan and hash; another config, another hash', async () => {
  const a = await planFor('timezone: Europe/Paris\n');
  assert.equal(a, await planFor('timezone: Europe/Paris\n'));
  assert.is.not(a.configHash, (await planFor('timezone: Europe/Berlin\n')).configHash);
  assert.equal(JSON.parse(JSON.stringify(a)), a, 'JSON-serialisable');
});

test(
  'devtools: the plan says only what the config turns on; ' +
    "the pins travel in the step's code, and generate still names the Node.js Context7 needs",
  async () => {
    const p = await planFor('devtools: {enabled: true, context7: true, github_token: secret:gh}\n');
    assert.equal(step(p, 'devtools'), {
      id: 'devtools',
      user: 'admin',
      claude: true,
      context7: true,
      github: 'gh',
      nixGcDays: 30,
    });
    const text = JSON.stringify(p);
    for (const pinned of [
      DEVTOOLS_PINS.claude.x64.integrity,
      DEVTOOLS_PINS.claude.arm64.integrity,
      DEVTOOLS_PINS.context7.digest,
      DEVTOOLS_PINS.context7.packages[0],
    ]) {
      assert.not.ok(text.includes(pinned), pinned);
    }
    assert.match(
      nodeNeeded(p) ?? '',
      `devtools.context7 needs Node.js ${DEVTOOLS_PINS.context7.node} or later on the server`,
    );
    const claudeOnly = await planFor('devtools: {enabled: true, nix_gc: {enabled: false}}\n');
    assert.equal(step(claudeOnly, 'devtools'), { id: 'devtools', user: 'admin', claude: true });
    assert.is(nodeNeeded(claudeOnly), undefined);
  },
);

test('devtools.gsd: in the plan only when on, its pins in the code, and generate names its Node.js', async () => {
  const p = await planFor('devtools: {enabled: true, gsd: true}\n');
  assert.equal(step(p, 'devtools'), { id: 'devtools', user: 'admin', claude: true, gsd: true, nixGcDays: 30 });
  const text = JSON.stringify(p);
  for (const pinned of [DEVTOOLS_PINS.gsd.digest, ...DEVTOOLS_PINS.gsd.packages])
    assert.not.ok(text.includes(pinned), pinned);
  // the Node.js firstboot measured, not the 22 GSD declares: every image has it
  assert.is(DEVTOOLS_PINS.gsd.node, '18.19.0');
  assert.match(
    nodeNeeded(p) ?? '',
    /^devtools\.gsd needs Node\.js 18\.19\.0 or later on the server \(debian-12 has 18\.20/,
  );
  const both = await planFor('devtools: {enabled: true, context7: true, gsd: true}\n');
  assert.match(nodeNeeded(both) ?? '', /^devtools\.context7 needs Node\.js [\d.]+ or later and devtools\.gsd needs/);
  assert.not.ok('gsd' in step(await planFor('devtools: {enabled: true, gsd: false}\n'), 'devtools'));
});

test("audit: the plan only turns the step on; its rules travel in the step's code", async () => {
  assert.equal(step(await planFor(''), 'audit'), { id: 'audit' });
});

test.run();
