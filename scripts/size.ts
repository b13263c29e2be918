// `npm run size`: where the user-data's bytes go, for the defaults, the example config and a stress
// config, with what each capability and each kind of key costs. A benchmark that prints figures, not
// a test; the hard gate is the generator's (generator/render.ts).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync } from 'node:zlib';
import { buildPayload } from './build';
import { configAndPlan } from '../generator/generate';
import { readPayload, sizeReport } from '../generator/render';
import { costText, HOST_KEY_STAND_IN, sizeBreakdown } from '../generator/size';

// with a source named for firstboot's pieces (--pieces-from): what the user-data must stay within
const TARGETS = { defaults: 18_000, team: 20_000, stress: 24_576 };
const dir = mkdtempSync(join(tmpdir(), 'firstboot-size-'));

await buildPayload();
const payload = readPayload();
const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`.padStart(9);
console.log('payload pieces (dist/payload/, minified; brotli alone for scale)');
for (const [name, text] of Object.entries(payload.files).sort((a, b) => b[1].length - a[1].length)) {
  console.log(`  ${name.padEnd(28)} ${kb(text.length)} ${kb(brotliCompressSync(text).length)}`);
}

function key(name: string, type: 'ed25519' | 'rsa', bits?: number): string {
  const file = join(dir, name);
  execFileSync('ssh-keygen', [
    '-q',
    '-t',
    type,
    ...(bits ? ['-b', String(bits)] : []),
    '-N',
    '',
    '-C',
    `${name}@laptop`,
    '-f',
    file,
  ]);
  return `${file}.pub`;
}

async function report(
  title: string,
  options: { config?: string; sshKeys?: string[]; hostKey?: boolean; piecesFrom?: string },
): Promise<number> {
  const { plan } = await configAndPlan({
    config: options.config,
    sshKeys: options.sshKeys,
    secrets: options.hostKey,
    piecesFrom: options.piecesFrom,
    payload,
  });
  if (options.piecesFrom) title += `, pieces from ${options.piecesFrom}`;
  const render = { payload, hostKey: options.hostKey ? HOST_KEY_STAND_IN : undefined };
  const breakdown = sizeBreakdown(plan, render);
  console.log(`\n${title}`);
  console.log(sizeReport(breakdown.parts, breakdown.bytes));
  console.log(costText(breakdown));
  return breakdown.bytes;
}

await report('the built-in defaults, with the demo key', { sshKeys: ['examples/demo_ed25519.pub'] });
const defaults = await report('the built-in defaults, with the demo key', {
  sshKeys: ['examples/demo_ed25519.pub'],
  piecesFrom: 'npm',
});
await report('examples/firstboot.yaml', { config: 'examples/firstboot.yaml' });
await report('the built-in defaults through firstboot create (host key and metadata step)', {
  sshKeys: ['examples/demo_ed25519.pub'],
  hostKey: true,
});

// a small team: 5 keys (one RSA-4096), 10 packages, 6 port rules, SSH on 2222
const teamKeys = [key('team-rsa', 'rsa', 4096), ...[1, 2, 3, 4].map((i) => key(`team${i}`, 'ed25519'))];
const team = join(dir, 'team.yaml');
writeFileSync(
  team,
  `ssh: { port: 2222 }
firewall: { allow: [80/tcp, 443/tcp, 8080/tcp, 5432/tcp, 51820/udp, 3000:3010/tcp] }
packages: [git, htop, tmux, vim, jq, ripgrep, rsync, unzip, sqlite3, dnsutils]
`,
);
await report('a small team: 5 keys (one RSA-4096), 10 packages, 6 port rules', { config: team, sshKeys: teamKeys });
const teamBytes = await report('a small team: 5 keys (one RSA-4096), 10 packages, 6 port rules', {
  config: team,
  sshKeys: teamKeys,
  piecesFrom: 'npm',
});

// a large team: 10 keys (three RSA-4096), 20 packages, 10 port rules, every capability on, through create
const keys = [
  ...[1, 2, 3].map((i) => key(`rsa${i}`, 'rsa', 4096)),
  ...[1, 2, 3, 4, 5, 6, 7].map((i) => key(`ed${i}`, 'ed25519')),
];
const stress = join(dir, 'stress.yaml');
writeFileSync(
  stress,
  `hostname: build-01.example.com
timezone: Europe/Berlin
admin:
  name: ops
  shell: /usr/bin/zsh
  password: secret:console
ssh:
  port: 2222
report:
  enabled: true
  to: ops@example.com
  smtp: { host: smtp.example.com, user: reports@example.com, password: secret:smtp }
devtools:
  enabled: true
  context7: true
  github_token: secret:github
geoip:
  enabled: true
  countries: [DE, AT, CH, NL]
  always_allow: [198.51.100.7, 2001:db8:1::/48]
tailscale:
  enabled: true
  auth_key: secret:tailscale
  tags: [tag:server]
  ssh_via_tailnet_only: true
firewall:
  allow: [80/tcp, 443/tcp, 8080/tcp, 8443/tcp, 3000:3010/tcp, 5432/tcp, 6379/tcp, 9100/tcp, 51820/udp, 8000:8100/udp]
packages: [git, htop, tmux, vim, curl, jq, ripgrep, fd-find, build-essential, python3-venv, sqlite3, postgresql-client,
  redis-tools, rsync, unzip, zip, ncdu, tree, dnsutils, lsof]
`,
);
const stressTitle =
  'stress: 10 keys (3 RSA-4096, 7 ed25519), 20 packages, 10 port rules, every capability, through create';
await report(stressTitle, { config: stress, sshKeys: keys, hostKey: true });
const stressBytes = await report(stressTitle, { config: stress, sshKeys: keys, hostKey: true, piecesFrom: 'npm' });

const met = (bytes: number, target: number) => `${bytes} bytes, ${bytes <= target ? 'met' : 'NOT met'}`;
console.log(
  `\ntargets, pieces from npm: defaults at most ${TARGETS.defaults}: ${met(defaults, TARGETS.defaults)}; ` +
    `team at most ${TARGETS.team}: ${met(teamBytes, TARGETS.team)}; ` +
    `stress through create at most ${TARGETS.stress}: ${met(stressBytes, TARGETS.stress)}`,
);
