// loadConfig refuses each config of the corpus (config-refusals-*.ts) with exactly the diagnostics it expects:
// path, line, column and message.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { loadConfig } from '../../generator/config';
import { fieldCases } from './config-refusals-fields';
import { otherCases } from './config-refusals-other';
import { serviceCases } from './config-refusals-services';
import { check, demoKeyFile, root } from './config-setup';

const cases = [...fieldCases, ...serviceCases, ...otherCases];

for (const c of cases) {
  test(`refuses ${c.name}`, async () => {
    const { config, diagnostics } = await loadConfig({
      file: join(root, 'firstboot.yaml'),
      text: c.yaml,
      sshKeys: c.sshKeys ?? [demoKeyFile],
      image: c.image,
    });
    assert.is(config, undefined);
    check(diagnostics, c.expected);
  });
}

test('the corpus is big enough', () => {
  assert.ok(cases.length >= 30);
});

test.run();
