import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { HcloudError } from '../../hcloud/api/errors';
import { buildImage, type ImageOptions } from '../../hcloud/image';
import { inspect } from '../../generator/inspect';
import type { FakeServer } from '../fakes/hcloud-api';
import { specLedger } from '../fakes/openapi-check';

import { fakeAndClient, payload, workspace } from './setup';
import { assertInputFail } from '../rejects';

// checked by the last test: see specLedger
const spec = specLedger();

type Context = Awaited<ReturnType<typeof fakeAndClient>> &
  Awaited<ReturnType<typeof workspace>> & { builders: FakeServer[] };
const test = suite<Context>('firstboot image');

// The fake's builder "runs the payload" and powers itself off, as image mode does on a real server:
// once it is running, however long the fake's actions take to get it there on a busy machine.
test.before.each(async (context) => {
  context.builders = [];
  const setup = await fakeAndClient({
    onServerCreated: (server) => {
      context.builders.push(server);
      const powerOff = () => {
        if (server.status === 'running') server.status = 'off';
        else if (server.status === 'initializing' || server.status === 'starting') setTimeout(powerOff, 20);
      };
      setTimeout(powerOff, 80);
    },
  });
  Object.assign(context, setup, await workspace());
});
test.after.each(async ({ fake }) => {
  await fake.close();
  spec.record(fake.requests);
});

const options = (c: Context, extra: Partial<ImageOptions> = {}): ImageOptions => ({
  client: c.client,
  name: 'golden',
  config: c.config,
  payload,
  pollIntervalMs: 5,
  ...extra,
});

test('builds in image mode, waits for off through the API, snapshots with labels, deletes the builder', async (c) => {
  const reports: string[] = [];
  const result = await buildImage(options(c, { report: (m) => reports.push(m) }));
  const image = c.fake.images.get(result.imageId)!;
  assert.is(image.type, 'snapshot');
  assert.is(image.status, 'available');
  assert.is(image.description, 'golden');
  assert.equal(image.labels, result.labels);
  assert.is(image.labels['firstboot-config'], result.configHash.slice(0, 32));
  assert.ok(image.labels['firstboot-version']);
  assert.is(c.builders.length, 1);
  assert.is(c.builders[0]!.name, 'golden-builder');
  assert.is(inspect(c.builders[0]!.userData!).plan.mode, 'image');
  assert.is(c.fake.servers.size, 0, 'the builder is gone');
  assert.not.ok(
    c.fake.requests.some((r) => r.path.endsWith('/poweroff') || r.path.endsWith('/shutdown')),
    'the payload powers off, not the CLI',
  );
  assert.ok(reports.some((r) => r.startsWith('create_image')));
});

test('the same config gives the same user-data and config hash', async (c) => {
  const first = await buildImage(options(c));
  const second = await buildImage(options(c, { name: 'golden-2' }));
  assert.is(first.configHash, second.configHash);
  assert.is(c.builders[0]!.userData, c.builders[1]!.userData);
});

test('a name whose builder the API would refuse: said before any request', async (c) => {
  const error = await buildImage(options(c, { name: 'golden image' })).catch((err: Error) => err);
  assertInputFail(error);
  assert.match((error as Error).message, /^"golden image-builder" is not a server name Hetzner takes/);
  assert.equal(c.fake.requests, []);
});

test('a failed snapshot: the builder is deleted and no image is left', async (c) => {
  c.fake.failNextAction('create_image', { code: 'image_failed', message: 'disk unreadable' });
  try {
    await buildImage(options(c));
    assert.unreachable();
  } catch (error) {
    assert.instance(error, HcloudError);
    assert.is((error as HcloudError).code, 'image_failed');
  }
  assert.is(c.fake.servers.size, 0);
  assert.equal(
    [...c.fake.images.values()].filter((i) => i.type === 'snapshot'),
    [],
  );
  assert.is(c.fake.sshKeys.size, 0, 'the key uploaded for the builder is removed again');
});

test('a builder that never powers off: gives up, deletes it, says why', async (c) => {
  const stuck = await fakeAndClient();
  try {
    await buildImage({ ...options(c), client: stuck.client, timeoutMs: 50 });
    assert.unreachable();
  } catch (error) {
    assert.instance(error, HcloudError);
    assert.match((error as Error).message, /did not power off in time/);
  }
  assert.is(stuck.fake.servers.size, 0);
  await stuck.fake.close();
  spec.record(stuck.fake.requests);
});

test('every request and answer fits the API description', () => spec.assertNone());

test.run();
