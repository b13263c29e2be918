// Servers made elsewhere (hcloud, Terraform, the console), through the shipped CLI: generate --host-key
// pins the key in the user's known_hosts and nowhere else; wait follows the run over an `ssh` on PATH
// that answers as a server would, and exits with the run's result.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import yaml from 'js-yaml';
import { MARK } from '../../apply/remote';
import { needs } from '../needs';

const CLI = resolve('dist/firstboot.js');
const KEY = resolve('examples/demo_ed25519.pub');

function place() {
  needs('ssh-keygen', 'openssh-client');
  const dir = mkdtempSync(join(tmpdir(), 'firstboot-elsewhere-'));
  const [home, temp, bin] = ['home', 'tmp', 'bin'].map((d) => join(dir, d));
  for (const d of [home, temp, bin]) mkdirSync(d);
  const knownHosts = join(home, '.ssh', 'known_hosts');
  const env = { ...process.env, HOME: home, TMPDIR: temp, PATH: `${bin}:${process.env.PATH}`, NO_COLOR: '1' };
  const run = (...args: string[]) => spawnSync('node', [CLI, ...args], { cwd: dir, encoding: 'utf8', env });
  return { dir, home, temp, bin, knownHosts, run };
}

test('generate --host-key: the private key in the user-data only, its public half in known_hosts under NAME', () => {
  const p = place();
  const made = p.run('generate', '--ssh-key', KEY, '--host-key', 'web1', '--out', 'user-data.yaml');
  assert.is(made.status, 0, made.stderr);
  assert.match(made.stderr, /^once the server runs: firstboot wait ADDRESS --as web1$/m);
  const userData = readFileSync(join(p.dir, 'user-data.yaml'), 'utf8');
  assert.is(statSync(join(p.dir, 'user-data.yaml')).mode & 0o777, 0o600);
  const keys = (yaml.load(userData) as { ssh_keys: { ed25519_private: string; ed25519_public: string } }).ssh_keys;
  const privateFile = join(p.dir, 'key');
  writeFileSync(privateFile, keys.ed25519_private, { mode: 0o600 });
  const derived = execFileSync('ssh-keygen', ['-y', '-f', privateFile], { encoding: 'utf8' })
    .trim()
    .split(' ')
    .slice(0, 2)
    .join(' ');
  assert.is(derived, keys.ed25519_public.split(' ').slice(0, 2).join(' '));
  assert.is(readFileSync(p.knownHosts, 'utf8'), `web1 ${derived} firstboot:user-data\n`);
  const body = keys.ed25519_private.split('\n')[1]!;
  for (const text of [made.stdout, made.stderr, readFileSync(p.knownHosts, 'utf8')])
    assert.not.ok(text.includes(body), 'the private key is outside the user-data');
  assert.equal(readdirSync(p.temp), [], 'ssh-keygen left files behind');
  // the user-data now holds a secret: the plan shuts all but root out of the metadata service
  const plan = JSON.parse(p.run('inspect', 'user-data.yaml', '-o', 'json').stdout).plan;
  assert.ok(plan.steps.some((s: { id: string }) => s.id === 'metadata'));

  // a second one for the same name replaces the entry, and keeps the others
  writeFileSync(p.knownHosts, `other ${derived}\n${readFileSync(p.knownHosts, 'utf8')}`);
  const again = p.run('generate', '--ssh-key', KEY, '--host-key', 'web1', '--out', 'user-data.yaml');
  assert.is(again.status, 0, again.stderr);
  assert.match(again.stderr, /as web1, in place of the key it had for web1/);
  const lines = readFileSync(p.knownHosts, 'utf8').trim().split('\n');
  assert.is(lines.length, 2);
  assert.is(lines[0], `other ${derived}`);
  assert.is.not(lines[1], `web1 ${derived} firstboot:user-data`);
});

test('generate --host-key refuses with exit 2, changing nothing: stdout, bad name, --for-image, failed --out', () => {
  const p = place();
  mkdirSync(join(p.home, '.ssh'));
  writeFileSync(
    p.knownHosts,
    'web1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH4p0Bu9pcdBmrdcFfeYcm+OQNer4umKA0bVZYK6wP1S\n',
  );
  const before = readFileSync(p.knownHosts, 'utf8');
  const cases: [string[], RegExp][] = [
    [['--host-key', 'web1'], /write it with --out FILE \(a new file is made 0600\), not to stdout/],
    [['--host-key', 'web*', '--out', 'u.yaml'], /--host-key: "web\*" cannot name a host for ssh/],
    [['--host-key', 'web1', '--for-image', '--out', 'u.yaml'], /--host-key and --for-image do not go together/],
    [['--host-key', 'web1', '--out', 'missing/u.yaml'], /the folder missing does not exist/],
  ];
  for (const [args, message] of cases) {
    const run = p.run('generate', '--ssh-key', KEY, ...args);
    assert.is(run.status, 2, args.join(' '));
    assert.match(run.stderr, message);
    assert.is(run.stdout, '');
    assert.is(readFileSync(p.knownHosts, 'utf8'), before, `${args.join(' ')}: known_hosts changed`);
    assert.not.ok(existsSync(join(p.dir, 'u.yaml')));
  }
});

test('generate --for-image: an image-mode plan, and the labels the snapshot needs', () => {
  const p = place();
  const made = p.run('generate', '--ssh-key', KEY, '--for-image', '--out', 'image.yaml');
  assert.is(made.status, 0, made.stderr);
  assert.match(made.stderr, /snapshot_labels.*: firstboot-version=\S+ firstboot-config=[0-9a-f]{32}$/m);
  assert.is(JSON.parse(p.run('inspect', 'image.yaml', '-o', 'json').stdout).plan.mode, 'image');
});

const SERVER_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH4p0Bu9pcdBmrdcFfeYcm+OQNer4umKA0bVZYK6wP1S';

/**
 * An `ssh` that answers as a hardened server would: a follow gets the run's end (its result from the
 * file `result`), a login check gets in, and accept-new records the server's key; every call is logged.
 */
function fakeSsh(p: ReturnType<typeof place>, result: 'success' | 'exit-code') {
  const status = { ok: result === 'success', steps: [{ id: 'ssh', seconds: 1, result: 'changed' }] };
  const end = [
    'ssh: changed',
    `${MARK.hostKey}${SERVER_KEY} root@web1`,
    MARK.tailnet,
    `${MARK.result}${result}`,
    JSON.stringify(status),
  ];
  writeFileSync(join(p.dir, 'end'), `${end.join('\n')}\n`);
  writeFileSync(
    join(p.bin, 'ssh'),
    `#!/bin/sh
printf '%s\\n' "$*" >> ${p.dir}/calls
known=; accept=; alias=
while [ $# -gt 1 ]; do
  case "$1" in
    UserKnownHostsFile=*) known=\${1#*=} ;;
    HostKeyAlias=*) alias=\${1#*=} ;;
    StrictHostKeyChecking=accept-new) accept=1 ;;
  esac
  shift
done
[ -z "$accept" ] || grep -q "^$alias " "$known" 2>/dev/null || echo "$alias ${SERVER_KEY}" >> "$known"
case "$1" in
  *journalctl*) cat ${p.dir}/end ;;
  *"sh -c 'true'"*|true) ;;
  *) echo "unexpected command" >&2; exit 1 ;;
esac
`,
  );
  chmodSync(join(p.bin, 'ssh'), 0o755);
  const config = join(p.dir, 'firstboot.yaml');
  writeFileSync(config, `admin:\n  name: ops\n  ssh_keys: [${KEY}]\nssh:\n  port: 2222\n`);
  return { config, calls: () => readFileSync(join(p.dir, 'calls'), 'utf8').trim().split('\n') };
}

test('wait exits with the run: 0 when it succeeded, 1 when it failed; the key checked under --as', () => {
  for (const [result, code] of [
    ['success', 0],
    ['exit-code', 1],
  ] as const) {
    const p = place();
    const server = fakeSsh(p, result);
    mkdirSync(join(p.home, '.ssh'));
    writeFileSync(p.knownHosts, `web1 ${SERVER_KEY}\n`);
    const waited = p.run('wait', '192.0.2.10', '--as', 'web1', '-c', server.config);
    assert.is(waited.status, code, waited.stderr);
    assert.match(waited.stdout, result === 'success' ? /^firstboot finished:\n/ : /^firstboot FAILED:\n/);
    assert.match(waited.stderr, /^ {2}ssh: changed$/m);
    const [follow] = server.calls();
    assert.match(follow, /HostKeyAlias=web1 /);
    assert.match(follow, new RegExp(`UserKnownHostsFile=${p.knownHosts} -o StrictHostKeyChecking=yes `));
    assert.match(follow, / -p 2222 -l ops -- 192\.0\.2\.10 /);
    assert.match(readFileSync(join(p.home, '.ssh', 'config'), 'utf8'), /Host web1\n {2}HostName 192\.0\.2\.10\n/);
  }
});

test('wait: exit 2 without a pinned key or for USER@ADDRESS; --trust-first-key prints the fingerprint', () => {
  const p = place();
  const server = fakeSsh(p, 'success');
  const refused = p.run('wait', '192.0.2.10', '--as', 'web1', '-c', server.config);
  assert.is(refused.status, 2);
  assert.match(refused.stderr, /has no host key for web1/);
  assert.not.ok(existsSync(join(p.dir, 'calls')), 'wait logged in without a pinned key');
  const usage = p.run('wait', 'root@192.0.2.10', '-c', server.config);
  assert.is(usage.status, 2);
  assert.match(usage.stderr, /give the address alone, not "root@192\.0\.2\.10"/);

  const trusted = p.run('wait', '192.0.2.10', '--as', 'web1', '--trust-first-key', '-c', server.config);
  assert.is(trusted.status, 0, trusted.stderr);
  writeFileSync(join(p.dir, 'key.pub'), `${SERVER_KEY}\n`);
  const expected = execFileSync('ssh-keygen', ['-l', '-f', join(p.dir, 'key.pub')], { encoding: 'utf8' }).split(' ')[1];
  assert.match(
    trusted.stderr,
    new RegExp(`as web1 in ${p.knownHosts}: ED25519 ${expected.replace(/\+/g, '\\+')}$`, 'm'),
  );
  assert.is(readFileSync(p.knownHosts, 'utf8'), `web1 ${SERVER_KEY}\n`);
  assert.match(server.calls()[0], /StrictHostKeyChecking=accept-new .*HostKeyAlgorithms=ssh-ed25519 /);
});

test.run();
