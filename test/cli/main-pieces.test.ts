// The shipped CLI and firstboot's pieces: a config too large to carry them whole, where they are fetched from
// (--pieces-from, npm or a URL), and `firstboot pieces --out`, whose digest generate pins.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { needs } from '../needs';
import { tmp, firstboot, version } from './run-cli';

/**
 * The original system's developer server (docs/HARDENING.md): every capability on, a team's keys; too
 * large to carry firstboot whole.
 */
function developerServer(): string[] {
  needs('ssh-keygen', 'openssh-client');
  const keys = Array.from({ length: 6 }, (_, i) => {
    const file = join(tmp, `dev${i}`);
    if (!existsSync(file))
      spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `dev${i}@laptop`, '-f', file]);
    return ['--ssh-key', `${file}.pub`];
  }).flat();
  const config = join(tmp, 'developer-server.yaml');
  writeFileSync(
    config,
    `hostname: dev.example.com
admin: { name: ops, password: secret:console }
ssh: { port: 2222 }
report: { enabled: true, to: ops@example.com, smtp: { host: smtp.example.com, user: reports@example.com, password: \
secret:smtp } }
devtools: { enabled: true, context7: true, github_token: secret:github }
geoip: { enabled: true, countries: [DE, AT, CH, NL] }
tailscale: { enabled: true, auth_key: secret:tailscale, ssh_via_tailnet_only: true }
firewall: { allow: [80/tcp, 443/tcp, 8080/tcp, 5432/tcp, 51820/udp] }
packages: [git, htop, tmux, vim, jq, ripgrep, rsync, unzip, sqlite3, dnsutils]
`,
  );
  return ['-c', config, ...keys];
}

test(
  'a config too large to carry firstboot whole: refused naming both sources; ' +
    'with one named it fits, and inspect says what is fetched',
  () => {
    const out = join(tmp, 'developer-server.user-data');
    const refused = firstboot('generate', ...developerServer(), '--out', out);
    assert.is(refused.status, 2, refused.stderr);
    assert.not.ok(existsSync(out));
    assert.match(
      refused.stderr,
      new RegExp(
        `--pieces-from npm +the firstboot ${version.replace(/\./g, '\\.')} package from ` +
          `https://registry\\.npmjs\\.org/`,
      ),
    );
    assert.match(
      refused.stderr,
      /--pieces-from URL +an https address holding the file firstboot pieces --out DIR writes/,
    );

    const made = firstboot('generate', ...developerServer(), '--pieces-from', 'npm', '--out', out);
    assert.is(made.status, 0, made.stderr);
    const seen = JSON.parse(firstboot('inspect', out, '-o', 'json').stdout);
    assert.is(seen.plan.pieces.from, 'npm');
    assert.match(seen.plan.pieces.digest, /^sha512-[A-Za-z0-9+/]{86}==$/);
    for (const inside of ['main.mjs', 'steps/packages.mjs', 'steps/admin.mjs', 'steps/ssh.mjs', 'steps/firewall.mjs'])
      assert.ok(seen.payloadFiles.includes(inside), inside);
    const embedded = ['packages', 'metadata', 'admin', 'ssh', 'firewall'];
    const fetched = seen.plan.steps
      .map((step: { id: string }) => step.id)
      .filter((id: string) => !embedded.includes(id));
    assert.ok(fetched.includes('geoip') && fetched.includes('tailscale') && fetched.includes('devtools'));
    assert.equal(seen.fetched, [...fetched.map((id: string) => `steps/${id}.mjs`), 'daily-report.mjs']);
    for (const name of seen.fetched) assert.not.ok(seen.payloadFiles.includes(name), name);
    const text = firstboot('inspect', out).stdout;
    assert.match(
      text,
      new RegExp(
        `^fetched +steps/.*, and the code they share, from npm \\(firstboot@${version.replace(/\./g, '\\.')} on ` +
          `https://registry\\.npmjs\\.org/\\)$`,
        'm',
      ),
    );
    assert.match(text, /^digest +sha512-/m);
  },
);

test('firstboot pieces --out writes the one file a URL source serves; its digest is the one generate pins', () => {
  const dir = join(tmp, 'pieces');
  const run = firstboot('pieces', '--out', dir);
  assert.is(run.status, 0, run.stderr);
  const [file] = readdirSync(dir);
  assert.match(file, new RegExp(`^firstboot-${version.replace(/\./g, '\\.')}-pieces-[0-9a-f]{16}\\.tgz$`));
  const out = join(tmp, 'url.user-data');
  assert.is(
    firstboot(
      'generate',
      '-c',
      'examples/firstboot.yaml',
      '--pieces-from',
      'https://files.example.com/firstboot/',
      '--out',
      out,
    ).status,
    0,
  );
  const { plan } = JSON.parse(firstboot('inspect', out, '-o', 'json').stdout);
  assert.equal(plan.pieces.from, 'https://files.example.com/firstboot/');
  assert.ok(run.stderr.includes(`digest ${plan.pieces.digest}`), run.stderr);
  const listing = spawnSync('tar', ['tzf', join(dir, file)], { encoding: 'utf8' })
    .stdout.trim()
    .split('\n');
  assert.ok(
    listing.includes('package/dist/payload/main.mjs') && listing.includes('package/dist/payload/steps/geoip.mjs'),
    listing.join(' '),
  );
  assert.is(firstboot('pieces').status, 2);
});

test('--pieces-from takes npm or an https URL (http only on a private address); anything else is a usage error', () => {
  for (const bad of [
    'http://files.example.com/',
    'http://169.255.0.1/',
    'http://8.8.8.8/',
    'ftp://files/',
    'pypi',
    'https://user:secret@files.example.com/',
  ]) {
    const run = firstboot('generate', '--pieces-from', bad);
    assert.is(run.status, 2, bad);
    assert.match(run.stderr, /^error: --pieces-from (takes "npm" or an https:\/\/ URL|must be a plain base URL)/m);
    assert.is(run.stdout, '');
    assert.not.match(run.stderr, /secret/, 'credentials are not echoed');
  }
  for (const good of [
    'http://10.0.2.2:8080/pieces/',
    'http://169.254.169.253/pieces/',
    'http://192.168.1.9/',
    'https://files.example.com/firstboot',
  ]) {
    assert.is(firstboot('validate', '--ssh-key', 'examples/demo_ed25519.pub', '--pieces-from', good).status, 0, good);
  }
});

test.run();
