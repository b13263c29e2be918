// The shipped CLI bundle, run as a user runs it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rsaPublicKey } from '../ssh-keys';
import { tmp, firstboot, version } from './run-cli';

test('--version, --help and each command’s --help', () => {
  assert.is(firstboot('--version').stdout.trim(), version);
  const help = firstboot('--help');
  assert.is(help.status, 0);
  for (const name of ['generate', 'validate', 'plan', 'inspect']) {
    assert.match(help.stdout, new RegExp(`\\n  ${name} `));
    const own = firstboot(name, '--help');
    assert.is(own.status, 0);
    assert.match(own.stdout, new RegExp(`^usage: firstboot ${name}`));
  }
  assert.is(firstboot().status, 2);
});

test('generate writes user-data that inspect reads back', () => {
  const out = join(tmp, 'user-data.yaml');
  const run = firstboot('generate', '-c', 'examples/firstboot.yaml', '--out', out);
  assert.is(run.status, 0, run.stderr);
  assert.is(run.stdout, '');
  assert.ok(readFileSync(out, 'utf8').startsWith('#cloud-config\n'));
  const seen = firstboot('inspect', out, '-o', 'json');
  assert.is(seen.status, 0, seen.stderr);
  assert.is(JSON.parse(seen.stdout).plan.steps[0].id, 'packages');
});

test('bad config: exit 2, every error on stderr, nothing on stdout, no output file', () => {
  const config = join(tmp, 'bad.yaml');
  writeFileSync(config, 'admin:\n  name: root\n  ssh_keys: [ssh-ed25519 AAAA]\nssh:\n  port: 70000\n');
  const out = join(tmp, 'never.yaml');
  const run = firstboot('generate', '-c', config, '--out', out);
  assert.is(run.status, 2);
  assert.is(run.stdout, '');
  assert.not.ok(existsSync(out));
  assert.match(run.stderr, /error\[\$\.admin\.name\]/);
  assert.match(run.stderr, /error\[\$\.ssh\.port\]: .*70000/);
  assert.match(run.stderr, new RegExp(`--> ${config.replace(/[/.]/g, '\\$&')}:5:9`));
});

test('no key anywhere is a bad input, not a server nobody can reach', () => {
  const run = firstboot('generate');
  assert.is(run.status, 2);
  assert.match(run.stderr, /ssh/i);
});

test('validate, plan and plan -o json', () => {
  assert.is(firstboot('validate', '-c', 'examples/firstboot.yaml').status, 0);
  const text = firstboot('plan', '-c', 'examples/firstboot.yaml');
  assert.is(text.status, 0);
  assert.match(text.stdout, /\n 5\. ssh\n/);
  const json = JSON.parse(firstboot('plan', '-c', 'examples/firstboot.yaml', '-o', 'json').stdout);
  assert.ok(json.steps.some((s: { id: string }) => s.id === 'firewall'));
});

test('validate says how much room is left; over the limit, generate says what costs what and writes nothing', () => {
  const ok = firstboot('validate', '-c', 'examples/firstboot.yaml');
  assert.match(
    ok.stderr,
    /^user-data: [\d,]+ bytes of 32,768, [\d,]+ left \([\d,]+ left with the host key firstboot create adds\)$/m,
  );
  // forty RSA-4096 keys, about 740 bytes each
  const config = join(tmp, 'many-keys.yaml');
  writeFileSync(
    config,
    `admin:\n  ssh_keys:\n${Array.from({ length: 40 }, (_, i) => `    - ${rsaPublicKey(`user${i}`)}\n`).join('')}`,
  );
  const out = join(tmp, 'too-big.yaml');
  const run = firstboot('generate', '-c', config, '--out', out);
  assert.is(run.status, 2, run.stderr);
  assert.not.ok(existsSync(out));
  assert.match(run.stderr, /^error: the user-data is \d+ bytes, \d+ more than the 32768 Hetzner accepts$/m);
  assert.match(run.stderr, /^  40 RSA-4096 keys +[\d,]+$/m);
  assert.match(run.stderr, /^  capability fail2ban +[\d,]+$/m);
  assert.match(run.stderr, /ssh-keygen -t ed25519/);
  assert.match(run.stderr, /firstboot image/);
});

test('--registry goes into the plan; a URL that is not http(s) or holds credentials is a usage error', () => {
  const plan = (...args: string[]) => firstboot('plan', '-c', 'examples/firstboot.yaml', '-o', 'json', ...args);
  assert.is(
    JSON.parse(plan('--registry', 'https://npm.example.com/mirror/').stdout).npm.registry,
    'https://npm.example.com/mirror/',
  );
  const fromEnv = spawnSync('node', ['dist/firstboot.js', 'plan', '-c', 'examples/firstboot.yaml', '-o', 'json'], {
    encoding: 'utf8',
    env: { ...process.env, npm_config_registry: 'http://10.0.0.5:4873/' },
  });
  assert.is(JSON.parse(fromEnv.stdout).npm.registry, 'http://10.0.0.5:4873/');
  for (const bad of ['ftp://mirror/', 'not a url', 'https://user:secret@npm.example.com/']) {
    const run = plan('--registry', bad);
    assert.is(run.status, 2, bad);
    assert.match(run.stderr, /^error: --registry must/m);
    assert.not.match(run.stderr, /secret/, 'credentials are not echoed');
  }
});

test('generate --out says what it wrote and the room left, and never writes over the config it reads', () => {
  const out = join(tmp, 'said.yaml');
  const run = firstboot('generate', '-c', 'examples/firstboot.yaml', '--out', out);
  assert.match(run.stderr, new RegExp(`^wrote ${out}: ([\\d,]+) bytes, ([\\d,]+) left of Hetzner's 32,768$`, 'm'));
  const [, bytes, left] = run.stderr.match(/: ([\d,]+) bytes, ([\d,]+) left/)!.map((n) => Number(n.replace(/,/g, '')));
  assert.is(bytes, statSync(out).size);
  assert.is(bytes + left, 32_768);
  const config = join(tmp, 'own.yaml');
  writeFileSync(
    config,
    readFileSync('examples/firstboot.yaml', 'utf8').replace(
      './demo_ed25519.pub',
      `${process.cwd()}/examples/demo_ed25519.pub`,
    ),
  );
  const before = readFileSync(config, 'utf8');
  const onto = firstboot('generate', '-c', config, '--out', config);
  assert.is(onto.status, 2);
  assert.match(onto.stderr, /is the config being read; write the output to another file/);
  assert.is(readFileSync(config, 'utf8'), before);
});

test('--out onto a device stays a device; onto a folder, a sentence and exit 2; --out - is stdout', () => {
  if (process.getuid?.() === 0) {
    const device = join(tmp, 'null');
    spawnSync('mknod', [device, 'c', '1', '3']);
    assert.is(firstboot('generate', '-c', 'examples/firstboot.yaml', '--out', device).status, 0);
    assert.ok(statSync(device).isCharacterDevice(), 'generate --out DEVICE replaced the device');
  }
  const folder = join(tmp, 'a-folder');
  mkdirSync(folder);
  const run = firstboot('generate', '-c', 'examples/firstboot.yaml', '--out', folder);
  assert.is(run.status, 2);
  assert.match(run.stderr, new RegExp(`^error: ${folder} is a folder; give a file name$`, 'm'));
  assert.equal(readdirSync(folder), []);
  const dash = firstboot('generate', '-c', 'examples/firstboot.yaml', '--out', '-');
  assert.is(dash.status, 0);
  assert.ok(dash.stdout.startsWith('#cloud-config\n'));
  assert.not.ok(existsSync('-'), 'no file named -');
});

test('a misspelt command gets a did-you-mean; help CMD is CMD --help; --version works anywhere', () => {
  const typo = firstboot('genrate');
  assert.is(typo.status, 2);
  assert.match(typo.stderr, /^error: unknown command "genrate"; did you mean "generate"\?$/m);
  assert.is(firstboot('help', 'validate').stdout, firstboot('validate', '--help').stdout);
  assert.is(firstboot('plan', '--version').stdout.trim(), version);
});

test('-o is a format everywhere (-o json, as hcloud has it); files are --out; option errors in sentences', () => {
  const cases: [string[], RegExp][] = [
    [
      ['generate', '-o', 'user-data.yaml'],
      /^error: -o is the output format \(as in -o json\), and generate has none; --out FILE writes to a file$/m,
    ],
    [
      ['plan', '-o', 'plan.json'],
      /^error: -o is the output format and takes "json", got "plan.json"; to write a file: --out plan.json$/m,
    ],
    [['generate', '--outt', 'x'], /^error: unknown option "--outt"; did you mean "--out"\?$/m],
    [['generate', '-c'], /^error: --config needs a value$/m],
    [['list', '--output=json', '--wait'], /^error: unknown option "--wait"$/m],
  ];
  for (const [args, message] of cases) {
    const run = firstboot(...args);
    assert.is(run.status, 2, args.join(' '));
    assert.match(run.stderr, message);
    assert.not.match(run.stderr, /Unknown option|argument missing|ERR_/);
  }
  assert.not.ok(existsSync('user-data.yaml') || existsSync('plan.json'), 'nothing written');
});

test('a config that is not UTF-8 says so, with where, and nothing is written', () => {
  const latin1 = join(tmp, 'latin1.yaml');
  writeFileSync(latin1, Buffer.from('admin:\n  name: gr\xfcn\n', 'latin1'));
  const utf16 = join(tmp, 'utf16.yaml');
  writeFileSync(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('admin: {}\n', 'utf16le')]));
  const out = join(tmp, 'never.yaml');
  for (const [file, what] of [
    [latin1, /a byte that is not UTF-8 at line 2, column 11/],
    [utf16, /it is UTF-16/],
  ] as const) {
    const run = firstboot('generate', '-c', file, '--out', out);
    assert.is(run.status, 2);
    assert.match(
      run.stderr,
      new RegExp(`^error\\[\\$\\]: ${file} is not UTF-8 text \\(${what.source}\\); save it as UTF-8$`, 'm'),
    );
  }
  assert.not.ok(existsSync(out));
});

test("files that cannot be read: a sentence, never Node's ENOENT or EISDIR", () => {
  for (const [args, message] of [
    [['inspect', join(tmp, 'absent.yaml')], `cannot read ${join(tmp, 'absent.yaml')}: there is no such file`],
    [['inspect', tmp], `cannot read ${tmp}: it is a folder, not a file`],
    [['validate', '-c', tmp], `cannot read config file ${tmp}: it is a folder, not a file`],
  ] as const) {
    const run = firstboot(...args);
    assert.is(run.status, 2, args.join(' '));
    assert.ok(run.stderr.includes(message), run.stderr);
    assert.not.match(run.stderr, /E[A-Z]{3,}|at .*\.js:\d+/);
  }
});

test('a reader that closes the pipe early (| head) ends the command quietly', () => {
  // `true` is gone before node writes: the write meets a closed pipe
  const run = spawnSync(
    'bash',
    ['-c', 'set -o pipefail; node dist/firstboot.js generate -c examples/firstboot.yaml | true'],
    { encoding: 'utf8' },
  );
  assert.is(run.status, 0, run.stderr);
  assert.is(run.stderr, '');
});

test('usage errors exit 2', () => {
  assert.is(firstboot('frobnicate').status, 2);
  assert.is(firstboot('generate', '--nope').status, 2);
  assert.is(firstboot('inspect').status, 2);
  writeFileSync(join(tmp, 'not-ours.yaml'), '#cloud-config\nruncmd: [true]\n');
  const other = firstboot('inspect', join(tmp, 'not-ours.yaml'));
  assert.is(other.status, 2);
  assert.match(other.stderr, /not firstboot user-data/);
  // a generated file cut off: a sentence, exit 2
  const whole = firstboot('generate', '-c', 'examples/firstboot.yaml').stdout;
  writeFileSync(join(tmp, 'cut.yaml'), whole.slice(0, 5000));
  const cut = firstboot('inspect', join(tmp, 'cut.yaml'));
  assert.is(cut.status, 2);
  assert.match(
    cut.stderr,
    /^error: the payload block is cut off at byte 5000 \(it holds \d+ of the \d+ characters its first line announces\): the file is incomplete; generate it again$/m,
    cut.stderr,
  );
});

test.run();
