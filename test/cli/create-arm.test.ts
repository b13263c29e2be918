// `firstboot create --type cax11`: Hetzner's Arm servers. The built CLI against the fake API picks the system
// image for the type's architecture, and sends the same user-data as for x86: the payload is JavaScript and
// shell, and the devtools step picks Claude Code's binary on the server (process.arch), not in the user-data.
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { systemImages } from '../fakes/hcloud-catalogue';
import { cliSuite, firstboot, serverNamed, type Context } from './hcloud-setup';
import { adminKey } from '../hcloud/setup';

const { test, spec } = cliSuite('firstboot create on Arm (cax11)');

// the developer toolchain on: the one capability with something of its own per architecture
const CONFIG =
  `admin:\n  name: dev\n  ssh_keys: ["${adminKey}"]\nssh:\n  port: 2222\n` +
  `devtools:\n  enabled: true\n  gsd: true\ngeoip:\n  enabled: true\n  countries: [DE]\n`;

/**
 * The same host key for every create of the test: an ssh-keygen on PATH that copies one key the real
 * ssh-keygen made, whatever -C says (create names the server there).
 */
async function fixedHostKey(c: Context): Promise<void> {
  const bin = join(c.dir, 'bin');
  await mkdir(bin, { recursive: true });
  const key = join(c.dir, 'host-key');
  await promisify(execFile)('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'fixed', '-f', key]);
  await writeFile(
    join(bin, 'ssh-keygen'),
    `#!/bin/sh\nfor a; do last=$a; done\ncp '${key}' "$last" && cp '${key}.pub' "$last.pub"\n`,
  );
  await chmod(join(bin, 'ssh-keygen'), 0o755);
}

test('cax11: the Arm build of the image, and the same user-data as on cx23 byte for byte', async (c) => {
  await writeFile(c.config, CONFIG);
  await fixedHostKey(c);
  // over 32 KB whole: the pieces from npm, as the developer preset says
  const create = (name: string, type: string) =>
    firstboot(c, ['create', name, '-c', c.config, '--type', type, '--image', 'debian-12', '--pieces-from', 'npm']);

  const arm = await create('dev-arm', 'cax11');
  assert.is(arm.code, 0, arm.stderr);
  const armServer = serverNamed(c, 'dev-arm');
  assert.match(arm.stdout, /^server dev-arm \(id \d+\): cax11 in fsn1, image debian-12\n/);
  const armImage = systemImages.find((i) => i.name === 'debian-12' && i.architecture === 'arm')!;
  assert.is(armServer.image.id, armImage.id);
  assert.is(armServer.image.architecture, 'arm');
  assert.is(armServer.serverType.architecture, 'arm');
  // the image was looked up for the type's architecture
  const lookups = c.fake.requests.filter((r) => r.method === 'GET' && r.path === '/images');
  assert.ok(lookups.length > 0, 'no image lookup');
  assert.ok(
    lookups.every((r) => r.query.get('architecture') === 'arm'),
    lookups.map((r) => r.query.toString()).join('\n'),
  );

  const x86 = await create('dev-x86', 'cx23');
  assert.is(x86.code, 0, x86.stderr);
  const x86Server = serverNamed(c, 'dev-x86');
  assert.is(x86Server.image.architecture, 'x86');
  assert.is.not(x86Server.image.id, armImage.id);

  assert.ok(armServer.userData, 'no user-data was sent');
  assert.match(armServer.userData!, /^#cloud-config\n/);
  // the same key in both: otherwise the comparison below would say nothing
  assert.ok(armServer.userData!.includes('fixed'), 'the stand-in host key is not in the user-data');
  assert.is(armServer.userData, x86Server.userData, 'the user-data differs between cax11 and cx23');
});

test('every request and answer fits the API description', () => spec.assertNone());

test.run();
