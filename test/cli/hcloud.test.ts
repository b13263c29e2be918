// The Hetzner Cloud commands of the built CLI (dist/firstboot.js), run as a user runs them, against
// the fake API, with a temporary HOME for ~/.ssh and a stand-in `ssh` on PATH for --wait.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile, spawn } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { SERVER_PATHS } from '../../contract/paths';
import { startFakeHcloud, type FakeHcloud } from '../fakes/hcloud-api';
import { specLedger } from '../fakes/openapi-check';

import { nextHostKey, workspace } from '../hcloud/setup';

// checked by the last test: see specLedger
const spec = specLedger();

type Context = Awaited<ReturnType<typeof workspace>> & { fake: FakeHcloud; home: string };
const test = suite<Context>('firstboot CLI: Hetzner Cloud commands');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

test.before.each(async (context) => {
  // The builder of `firstboot image` powers itself off once its payload is done; here the test does it.
  context.fake = await startFakeHcloud({
    onServerCreated: (server) => {
      if (server.name.endsWith('-builder')) setTimeout(() => context.fake.setServerStatus(server.id, 'off'), 200);
    },
  });
  Object.assign(context, await workspace());
  context.home = join(context.dir, 'home');
});
test.after.each(async ({ fake }) => {
  await fake.close();
  spec.record(fake.requests, (r) => r.status === 401);
});

const envOf = (c: Context, env: Record<string, string | undefined> = {}) => ({
  PATH: `${join(c.dir, 'bin')}:${process.env.PATH}`,
  HOME: c.home,
  NO_COLOR: '1',
  HCLOUD_ENDPOINT: c.fake.url,
  HCLOUD_TOKEN: c.fake.token,
  ...env,
});

/** Runs the CLI; every run is checked for the token, which must never be printed. */
async function firstboot(c: Context, args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  const run = await new Promise<Run>((resolve) =>
    execFile(
      'node',
      ['dist/firstboot.js', ...args],
      { encoding: 'utf8', env: envOf(c, env) },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    ),
  );
  for (const token of [c.fake.token, env.HCLOUD_TOKEN].filter(Boolean)) {
    assert.not.ok(run.stdout.includes(token!) || run.stderr.includes(token!), 'the token was printed');
  }
  return run;
}

/** A stand-in ssh for --wait: `script` answers `firstboot status -o json`; `host-key` answers with nextHostKey. */
async function fakeSsh(c: Context, script: string) {
  await mkdir(join(c.dir, 'bin'), { recursive: true });
  const hostKey = `case "$*" in *" host-key "*) echo '${nextHostKey}'; exit 0;; esac`;
  await writeFile(join(c.dir, 'bin', 'ssh'), `#!/bin/sh\n${hostKey}\n${script}\n`);
  await chmod(join(c.dir, 'bin', 'ssh'), 0o755);
}

const serverNamed = (c: Context, name: string) => [...c.fake.servers.values()].find((s) => s.name === name)!;

test('create: addresses and `ssh NAME` on stdout, progress on stderr, labels, ssh config and known_hosts', async (c) => {
  const run = await firstboot(c, ['create', 'web-1', '-c', c.config, '--label', 'team=ops', '--label', 'env=dev']);
  assert.is(run.code, 0, run.stderr);
  const server = serverNamed(c, 'web-1');
  assert.match(run.stdout, new RegExp(`^server web-1 \\(id ${server.id}\\): cx23 in fsn1, image ubuntu-24.04\\n`));
  assert.match(run.stdout, new RegExp(`ipv4      ${server.ipv4.replace(/\./g, '\\.')}\\n`));
  assert.match(run.stdout, new RegExp(`ssh       ssh web-1   \\(ops@${server.ipv4.replace(/\./g, '\\.')} -p 2222;`));
  assert.match(run.stderr, /create_server 100%/);
  assert.equal({ team: server.labels.team, env: server.labels.env }, { team: 'ops', env: 'dev' });
  assert.ok(server.labels['firstboot-config']);
  const config = await readFile(join(c.home, '.ssh', 'config'), 'utf8');
  assert.match(config, new RegExp(`Host web-1\\n  HostName ${server.ipv4}\\n  User ops\\n  Port 2222\\n`));
  const hostKey = (yaml.load(server.userData!) as { ssh_keys: { ed25519_public: string } }).ssh_keys.ed25519_public;
  assert.is(
    await readFile(join(c.home, '.ssh', 'known_hosts'), 'utf8'),
    `[${server.ipv4}]:2222 ${hostKey.split(' ').slice(0, 2).join(' ')}\n`,
  );
});

test('create -o json: the result as JSON, and a firewall with --firewall', async (c) => {
  const run = await firstboot(c, ['create', 'web-1', '-c', c.config, '--firewall', '-o', 'json']);
  assert.is(run.code, 0, run.stderr);
  const result = JSON.parse(run.stdout);
  assert.is(result.server.id, serverNamed(c, 'web-1').id);
  assert.is(result.admin, 'ops');
  assert.is(result.firewall.name, 'firstboot-web-1');
  assert.is(result.sshConfigPath, join(c.home, '.ssh', 'config'));
});

test('create --wait: the payload result; a failed payload exits 1', async (c) => {
  const status = (ok: boolean) =>
    JSON.stringify({
      firstboot: '0.1.0',
      configHash: 'x',
      started: 's',
      finished: 'f',
      ok,
      steps: [{ id: 'ssh', result: ok ? 'changed' : 'failed', seconds: 1.5, ...(!ok && { error: 'sshd -t failed' }) }],
    });
  await fakeSsh(c, `echo '${status(true)}'`);
  const good = await firstboot(c, ['create', 'web-1', '-c', c.config, '--wait']);
  assert.is(good.code, 0, good.stderr);
  assert.match(good.stdout, /firstboot finished:\n  ssh +changed +1\.5s/);
  assert.is(
    await readFile(join(c.home, '.ssh', 'known_hosts'), 'utf8'),
    `[${serverNamed(c, 'web-1').ipv4}]:2222 ${nextHostKey}\n`,
  );

  await fakeSsh(c, `echo '${status(false)}'; exit 1`);
  const bad = await firstboot(c, ['create', 'web-2', '-c', c.config, '--wait']);
  assert.is(bad.code, 1);
  assert.match(bad.stdout, /firstboot FAILED:\n  ssh +failed +1\.5s  sshd -t failed/);
});

test('create --wait: another host key stops it, and says how to remove the server', async (c) => {
  await fakeSsh(c, 'echo "Host key verification failed." >&2; exit 255');
  const run = await firstboot(c, ['create', 'web-1', '-c', c.config, '--wait']);
  assert.is(run.code, 1);
  assert.match(run.stderr, /did not answer with the host key firstboot gave it/);
  assert.match(run.stderr, /to remove it:\n  firstboot delete web-1 --yes/);
});

test('list: a table, or JSON', async (c) => {
  assert.is((await firstboot(c, ['create', 'web-1', '-c', c.config])).code, 0);
  const run = await firstboot(c, ['list']);
  assert.is(run.code, 0, run.stderr);
  const [head, row] = run.stdout.trimEnd().split('\n');
  assert.match(head!, /^NAME +STATUS +IPV4 +TYPE +LOCATION +FIRSTBOOT +CONFIG$/);
  assert.match(row!, new RegExp(`^web-1 +\\w+ +${serverNamed(c, 'web-1').ipv4} +cx23 +fsn1 `));
  const json = await firstboot(c, ['list', '-o', 'json']);
  assert.equal(
    JSON.parse(json.stdout).map((s: { name: string }) => s.name),
    ['web-1'],
  );
});

test('delete: refused without --yes and without a terminal, before the API is asked; --yes deletes', async (c) => {
  assert.is((await firstboot(c, ['create', 'web-1', '-c', c.config])).code, 0);
  const asked = c.fake.requests.length;
  const refused = await firstboot(c, ['delete', 'web-1']);
  assert.is(refused.code, 2);
  assert.match(refused.stderr, /pass --yes/);
  assert.is(c.fake.requests.length, asked);

  const run = await firstboot(c, ['delete', 'web-1', '--yes']);
  assert.is(run.code, 0, run.stderr);
  assert.is(run.stdout, 'deleted web-1\n');
  assert.is(c.fake.servers.size, 0);
  assert.not.match(await readFile(join(c.home, '.ssh', 'config'), 'utf8'), /web-1/);
  assert.is(await readFile(join(c.home, '.ssh', 'known_hosts'), 'utf8'), '');
});

/** `firstboot delete web-1` on a terminal (util-linux's script makes one), answering its question. */
function deleteOnTerminal(c: Context, typed: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('script', ['-qec', 'node dist/firstboot.js delete web-1', '/dev/null'], { env: envOf(c) });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const asked = !output.includes('to confirm:');
      output += chunk.toString();
      if (asked && output.includes('to confirm:')) child.stdin.write(`${typed}\n`);
    });
    child.on('close', (code) => resolve({ code, output }));
  });
}

test('delete on a terminal: the name must be typed; another answer deletes nothing', async (c) => {
  assert.is((await firstboot(c, ['create', 'web-1', '-c', c.config])).code, 0);
  const wrong = await deleteOnTerminal(c, 'web');
  assert.is(wrong.code, 1);
  assert.match(wrong.output, /delete server web-1 \(id \d+, 192\.0\.2\.\d+\)\? type its name to confirm:/);
  assert.match(wrong.output, /nothing was deleted/);
  assert.is(c.fake.servers.size, 1);
  const right = await deleteOnTerminal(c, 'web-1');
  assert.is(right.code, 0, right.output);
  assert.is(c.fake.servers.size, 0);
});

test('rescale: another type of the same architecture; ARM is refused with exit 2', async (c) => {
  assert.is((await firstboot(c, ['create', 'web-1', '-c', c.config])).code, 0);
  const arm = await firstboot(c, ['rescale', 'web-1', '--type', 'cax11']);
  assert.is(arm.code, 2);
  assert.match(arm.stderr, /^error: server web-1 is x86 \(cx23\) and cax11 is arm/);
  const run = await firstboot(c, ['rescale', 'web-1', '--type', 'cx33']);
  assert.is(run.code, 0, run.stderr);
  assert.match(run.stdout, /^web-1: cx23 -> cx33, /);
  assert.is(serverNamed(c, 'web-1').serverType.name, 'cx33');
});

test('image: the snapshot ID on stdout; create --image boots it with a per-instance user-data', async (c) => {
  const run = await firstboot(c, ['image', '-c', c.config, '--name', 'golden']);
  assert.is(run.code, 0, run.stderr);
  const imageId = run.stdout.trim();
  assert.match(imageId, /^\d+$/);
  assert.is(c.fake.images.get(Number(imageId))!.description, 'golden');
  assert.is(c.fake.servers.size, 0, 'the builder is gone');

  const made = await firstboot(c, ['create', 'web-1', '-c', c.config, '--image', imageId]);
  assert.is(made.code, 0, made.stderr);
  const server = serverNamed(c, 'web-1');
  assert.is(server.image.id, Number(imageId));
  const userData = yaml.load(server.userData!) as { runcmd: string[][]; write_files: { path: string }[] };
  assert.equal(userData.runcmd, [
    ['rm', '-f', '/var/lib/firstboot/done'],
    ['systemctl', 'start', 'firstboot.service'],
  ]);
  assert.equal(
    userData.write_files.map((f) => f.path),
    [SERVER_PATHS.plan],
    'the payload is not sent again',
  );

  await writeFile(c.config, (await readFile(c.config, 'utf8')).replace('port: 2222', 'port: 2200'));
  const other = await firstboot(c, ['create', 'web-2', '-c', c.config, '--image', imageId]);
  assert.is(other.code, 2);
  assert.match(other.stderr, new RegExp(`error: image ${imageId} was built from another config`));
  assert.not.ok(serverNamed(c, 'web-2'));
});

test("a bad token: Hetzner's code and message and where the token came from, exit 1", async (c) => {
  const run = await firstboot(c, ['list'], { HCLOUD_TOKEN: 'not-the-token' });
  assert.is(run.code, 1);
  assert.is(run.stderr, 'error: unauthorized: unable to authenticate (the token came from HCLOUD_TOKEN)\n');
  assert.not.match(run.stderr, /not-the-token/);
});

test('no token anywhere and no terminal: says where a token can come from, exit 1', async (c) => {
  const run = await firstboot(c, ['list'], { HCLOUD_TOKEN: undefined });
  assert.is(run.code, 1);
  assert.match(run.stderr, /^error: no Hetzner Cloud API token: set HCLOUD_TOKEN/);
  assert.is(c.fake.requests.length, 0);
});

test('an unknown server type: a did-you-mean, exit 2; the API refusing input: its code, exit 1', async (c) => {
  const typo = await firstboot(c, ['create', 'web-1', '-c', c.config, '--type', 'cx32']);
  assert.is(typo.code, 2);
  assert.match(typo.stderr, /^error: unknown server type "cx32"; did you mean "cx33"\?/);

  c.fake.failNextRequest({
    method: 'POST',
    path: /^\/servers$/,
    status: 422,
    code: 'invalid_input',
    message: "invalid input in field 'user_data'",
  });
  const refused = await firstboot(c, ['create', 'web-1', '-c', c.config]);
  assert.is(refused.code, 1);
  assert.match(refused.stderr, /error: invalid_input: invalid input in field 'user_data'\n$/);
  assert.is(c.fake.servers.size, 0);
});

test("a taken name: refused up front with exit 2; taken meanwhile (409): Hetzner's code, exit 1", async (c) => {
  assert.is((await firstboot(c, ['create', 'web-1', '-c', c.config])).code, 0);
  const taken = await firstboot(c, ['create', 'web-1', '-c', c.config]);
  assert.is(taken.code, 2);
  assert.match(taken.stderr, /error: a server named "web-1" already exists/);

  c.fake.failNextRequest({
    method: 'POST',
    path: /^\/servers$/,
    status: 409,
    code: 'uniqueness_error',
    message: 'server name is already used',
  });
  const raced = await firstboot(c, ['create', 'web-2', '-c', c.config]);
  assert.is(raced.code, 1);
  assert.match(raced.stderr, /error: uniqueness_error: server name is already used\n$/);
});

test('a failure after the server exists: what is left and how to remove it, exit 1', async (c) => {
  await mkdir(join(c.home, '.ssh', 'known_hosts'), { recursive: true }); // a directory: cannot be written
  const run = await firstboot(c, ['create', 'web-1', '-c', c.config]);
  assert.is(run.code, 1);
  assert.match(
    run.stderr,
    /error: server web-1 \(id \d+, 192\.0\.2\.\d+\) was created and still exists, but: .*\nto remove it:\n  firstboot delete web-1 --yes\n$/,
  );
  assert.is(c.fake.servers.size, 1);
});

test('each command has --help listing its options; bad arguments exit 2', async (c) => {
  for (const [name, option] of [
    ['create', '--firewall'],
    ['list', '-o'],
    ['delete', '--yes'],
    ['rescale', '--type'],
    ['image', '--name'],
  ] as const) {
    const help = await firstboot(c, [name, '--help']);
    assert.is(help.code, 0);
    assert.match(help.stdout, new RegExp(`^usage: firstboot ${name}`));
    assert.ok(help.stdout.includes(option), `${name} --help lists ${option}`);
  }
  assert.is((await firstboot(c, ['create'])).code, 2);
  assert.is((await firstboot(c, ['create', 'web-1', '--label', 'novalue'])).code, 2);
  assert.is((await firstboot(c, ['rescale', 'web-1'])).code, 2);
  assert.is((await firstboot(c, ['image'])).code, 2);
  assert.is(c.fake.requests.length, 0);
});

test('every request and answer fits the API description', () => spec.assertNone());

test.run();
