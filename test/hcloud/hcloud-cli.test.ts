// The fake checked against the real client: Debian's hcloud CLI, pointed at it with
// HCLOUD_ENDPOINT. If the CLI can create, list and delete through the fake, the fake's shapes are
// close enough to Hetzner's to trust the rest of the tests that use it.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startFakeHcloud, type FakeHcloud } from '../fakes/hcloud-api';
import { specLedger } from '../fakes/openapi-check';
import type { Plan } from '../../contract/plan';
import { createClient } from '../../hcloud/api/client';
import { closeBridge } from '../../hcloud/create';
import { mirrorUfwRules, sshBridgeRule } from '../../hcloud/firewall-rules';
import { needs } from '../needs';

// checked by the last test: see specLedger
const spec = specLedger();

const test = suite<{ fake: FakeHcloud; dir: string }>('hcloud CLI against the fake');

test.before.each(async (context) => {
  context.fake = await startFakeHcloud();
  context.dir = await mkdtemp(join(tmpdir(), 'firstboot-hcloud-cli-'));
});
test.after.each(async ({ fake }) => {
  await fake.close();
  spec.record(fake.requests, (r) => r.status === 401);
});

async function hcloud(fake: FakeHcloud, dir: string, args: string[], token = fake.token) {
  needs('hcloud', 'hcloud-cli');
  const env = {
    PATH: process.env.PATH,
    HOME: dir,
    HCLOUD_ENDPOINT: fake.url,
    HCLOUD_TOKEN: token,
    // A fresh config so no user's contexts are read.
    HCLOUD_CONFIG: join(dir, 'cli.toml'),
  };
  return promisify(execFile)('hcloud', ['--poll-interval', '10ms', ...args], { env, encoding: 'utf8' }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({
      code: error.code,
      stdout: error.stdout,
      stderr: error.stderr,
    }),
  );
}

// Tabs, quotes, backslashes, non-ASCII and no trailing newline: bytes a careless layer would change.
const userData =
  '#cloud-config\nwrite_files:\n  - path: /etc/motd\n    content: "grüße \\"firstboot\\" \\\\ \t✓"\nruncmd: [true]';

test('server create --user-data-from-file sends the file byte for byte; list shows it; delete removes it', async ({
  fake,
  dir,
}) => {
  const file = join(dir, 'user-data.yaml');
  await writeFile(file, userData);
  const created = await hcloud(fake, dir, [
    'server',
    'create',
    '--name',
    'x',
    '--type',
    'cx23',
    '--image',
    'ubuntu-24.04',
    '--location',
    'fsn1',
    '--user-data-from-file',
    file,
  ]);
  assert.is(created.code, 0, created.stderr);
  assert.match(created.stdout, /IPv4: 192\.0\.2\./);

  const post = fake.requests.find((r) => r.method === 'POST' && r.path === '/servers')!;
  const sent = Buffer.from(JSON.parse(post.body.toString('utf8')).user_data, 'utf8');
  assert.ok(sent.equals(Buffer.from(userData, 'utf8')), 'user_data is exactly the bytes of the file');
  assert.is([...fake.servers.values()][0]!.userData, userData);

  const listed = await hcloud(fake, dir, ['server', 'list', '-o', 'json']);
  assert.is(listed.code, 0, listed.stderr);
  const servers = JSON.parse(listed.stdout) as { name: string; status: string; server_type: { name: string } }[];
  assert.equal(
    servers.map((s) => [s.name, s.status, s.server_type.name]),
    [['x', 'running', 'cx23']],
  );

  const deleted = await hcloud(fake, dir, ['server', 'delete', 'x']);
  assert.is(deleted.code, 0, deleted.stderr);
  // The CLI may return before the delete action finishes.
  for (let i = 0; i < 100 && fake.servers.size > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.is(fake.servers.size, 0);
});

test("the CLI shows the fake's errors as it shows Hetzner's", async ({ fake, dir }) => {
  const base = ['server', 'create', '--name', 'x', '--type', 'cx23', '--image', 'ubuntu-24.04'];
  assert.is((await hcloud(fake, dir, base)).code, 0);
  const duplicate = await hcloud(fake, dir, base);
  assert.is.not(duplicate.code, 0);
  assert.match(duplicate.stderr, /uniqueness_error/);
  const unauthorized = await hcloud(fake, dir, ['server', 'list'], 'wrong-token');
  assert.is.not(unauthorized.code, 0);
  assert.match(unauthorized.stderr, /unauthorized/);
});

test('ssh-key create and list go through the fake with the same fingerprint', async ({ fake, dir }) => {
  const keyFile = join(dir, 'id.pub');
  await writeFile(
    keyFile,
    'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHxY6bM3E0dYk3r2pM6m0+3q3iCJXzKf1nU5sS7nH0aB me@laptop\n',
  );
  const created = await hcloud(fake, dir, ['ssh-key', 'create', '--name', 'me', '--public-key-from-file', keyFile]);
  assert.is(created.code, 0, created.stderr);
  const listed = JSON.parse((await hcloud(fake, dir, ['ssh-key', 'list', '-o', 'json'])).stdout) as {
    fingerprint: string;
  }[];
  assert.equal(
    listed.map((k) => k.fingerprint),
    [[...fake.sshKeys.values()][0]!.fingerprint],
  );
});

test('the command create prints to close the SSH bridge at the edge removes port 22 and nothing else', async ({
  fake,
  dir,
}) => {
  const plan = {
    steps: [
      {
        id: 'firewall',
        sshPort: 2222,
        rules: [{ action: 'limit', port: '2222', proto: 'tcp', comment: 'firstboot ssh' }],
      },
    ],
  } as unknown as Plan;
  const client = createClient({ token: fake.token, endpoint: fake.url });
  const rules = [...mirrorUfwRules(plan), sshBridgeRule(plan)!];
  const { firewall } = await client.firewalls.create({ name: 'firstboot-web-1', rules });
  const [command, ...args] = closeBridge('firstboot-web-1').split(' ');
  assert.is(command, 'hcloud');
  const closed = await hcloud(fake, dir, args);
  assert.is(closed.code, 0, closed.stderr);
  assert.equal(
    fake.firewalls.get(firewall.id)!.rules.map((r) => `${r.protocol} ${r.port}`),
    ['tcp 2222', 'icmp null'],
  );
});

test('every request and answer fits the API description', () => spec.assertNone());

test.run();
