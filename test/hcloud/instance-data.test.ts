// The per-instance user-data of a server made from a firstboot image.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { configAndPlan } from '../../generator/generate';
import { Fail } from '../../contract/fail';
import { instanceUserData, isFirstbootImage } from '../../hcloud/instance-data';
import { firstbootLabels } from '../../hcloud/labels';
import type { Image } from '../../hcloud/api/types';
import type { Plan } from '../../contract/plan';
import { SERVER_PATHS } from '../../contract/paths';
import { hostKey } from './setup';
import { needs } from '../needs';

const imageOf = (labels: Record<string, string>) => ({ id: 42, type: 'snapshot', labels }) as unknown as Image;
let plan: Plan;
let fitting: Image;

test.before(async () => {
  ({ plan } = await configAndPlan({ config: 'examples/firstboot.yaml', mode: 'boot' }));
  fitting = imageOf(firstbootLabels(plan.firstboot, plan.configHash));
});

test('only an image with the config label is a firstboot image', () => {
  assert.ok(isFirstbootImage(fitting));
  assert.not.ok(isFirstbootImage(imageOf({})));
});

test('host key, a boot-mode plan, and one more run of the payload', () => {
  const doc = yaml.load(instanceUserData(fitting, plan, hostKey)) as Record<string, any>;
  assert.equal(doc.ssh_keys, { ed25519_private: hostKey.private, ed25519_public: hostKey.public });
  assert.equal(doc.ssh_genkeytypes, ['ed25519', 'rsa']);
  assert.equal(
    doc.write_files.map((f: { path: string }) => f.path),
    [SERVER_PATHS.plan],
  );
  assert.equal(JSON.parse(doc.write_files[0].content), plan);
  assert.equal(doc.runcmd, [
    ['rm', '-f', '/var/lib/firstboot/done'],
    ['systemctl', 'start', 'firstboot.service'],
  ]);
});

test("cloud-init's own schema check accepts it", () => {
  needs('cloud-init', 'cloud-init');
  const file = join(mkdtempSync(join(tmpdir(), 'firstboot-instance-')), 'user-data.yaml');
  writeFileSync(file, instanceUserData(fitting, plan, hostKey));
  const run = spawnSync('cloud-init', ['schema', '-c', file], { encoding: 'utf8' });
  assert.is(run.status, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /Valid cloud-config/);
});

test('an image from another config or firstboot version is refused', () => {
  const other = imageOf({ ...fitting.labels, 'firstboot-config': 'f'.repeat(32) });
  assert.throws(
    () => instanceUserData(other, plan, hostKey),
    (e: Error) => e instanceof Fail && e.exitCode === 2 && /image 42 was built from another config/.test(e.message),
  );
  const older = imageOf({ ...fitting.labels, 'firstboot-version': '0.0.1' });
  assert.throws(
    () => instanceUserData(older, plan, hostKey),
    (e: Error) => /holds firstboot 0\.0\.1/.test(e.message),
  );
});

test.run();
