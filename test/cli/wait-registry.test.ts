// `firstboot wait` with secrets runs the payload again with the plan it makes from the config: that plan
// must name the registry generate did, or a server that reaches only its mirror fetches from npm's.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitPlan } from '../../cli/wait';
import { DEFAULT_REGISTRY } from '../../generator/npm-pins';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINQur/rZ9TBsuK9LDYPMLWxYD15U4YeWKAC2I/kuCgSc firstboot-demo';
const MIRROR = 'http://169.254.169.253:4873/';

function config(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'firstboot-wait-')), 'firstboot.yaml');
  writeFileSync(file, `admin:\n  ssh_keys: ["${KEY}"]\ngeoip:\n  enabled: true\n  countries: [DE]\n`);
  return file;
}

test('the plan names --registry, else npm_config_registry, else npm', async () => {
  const saved = process.env.npm_config_registry;
  try {
    delete process.env.npm_config_registry;
    assert.is((await waitPlan({ config: config() })).plan.npm.registry, DEFAULT_REGISTRY);
    assert.is((await waitPlan({ config: config(), registry: MIRROR })).plan.npm.registry, MIRROR);
    process.env.npm_config_registry = MIRROR;
    assert.is((await waitPlan({ config: config() })).plan.npm.registry, MIRROR);
  } finally {
    if (saved === undefined) delete process.env.npm_config_registry;
    else process.env.npm_config_registry = saved;
  }
});

test.run();
