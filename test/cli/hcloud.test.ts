// The Hetzner Cloud commands of the built CLI (dist/firstboot.js), run as a user runs them, against
// the fake API, with a temporary HOME for ~/.ssh and a stand-in `ssh` on PATH for --wait.
import * as assert from 'uvu/assert';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { SERVER_PATHS } from '../../contract/paths';
import { nextHostKey } from '../hcloud/setup';
import { cliSuite, firstboot, fakeSsh, serverNamed, deleteOnTerminal } from './hcloud-setup';

// checked by the last test: see specLedger
const { test, spec } = cliSuite('firstboot CLI: Hetzner Cloud commands');

test(
  'create: addresses and `ssh NAME` on stdout, ' + 'progress on stderr, labels, ssh config and known_hosts',
  async (c) => {
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
  },
);

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
  const status = (ok: boolean) => ({
    firstboot: '0.1.0',
    configHash: 'x',
    started: 's',
    finished: 'f',
    ok,
    steps: [{ id: 'ssh', result: ok ? 'changed' : 'failed', seconds: 1.5, ...(!ok && { error: 'sshd -t failed' }) }],
  });
  await fakeSsh(c, { log: ['[INFO] ssh changed'], status: status(true) });
  const good = await firstboot(c, ['create', 'web-1', '-c', c.config, '--wait']);
  assert.is(good.code, 0, good.stderr);
  assert.match(good.stdout, /firstboot finished:\n  ssh +changed +1\.5s/);
  assert.match(good.stderr, /^  \[INFO\] ssh changed$/m, "the run's log, as it came");
  assert.is(
    await readFile(join(c.home, '.ssh', 'known_hosts'), 'utf8'),
    `[${serverNamed(c, 'web-1').ipv4}]:2222 ${nextHostKey}\n`,
  );

  await fakeSsh(c, { status: status(false) });
  const bad = await firstboot(c, ['create', 'web-2', '-c', c.config, '--wait']);
  assert.is(bad.code, 1);
  assert.match(bad.stdout, /firstboot FAILED:\n  ssh +failed +1\.5s  sshd -t failed/);
});

test('create --wait: another host key stops it, and says how to remove the server', async (c) => {
  await fakeSsh(c, 'echo "Host key verification failed." >&2; exit 255');
  const run = await firstboot(c, ['create', 'web-1', '-c', c.config, '--wait']);
  assert.is(run.code, 1);
  assert.match(
    run.stderr,
    /[\d.]+ does not answer with the host key \S+ has for it; not logging in:\nHost key verification failed\./,
  );
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
