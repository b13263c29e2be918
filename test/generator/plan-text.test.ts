import { test } from 'uvu';
import * as assert from 'uvu/assert';
import yaml from 'js-yaml';
import { loadConfig } from '../../generator/config/load';
import { plan } from '../../generator/plan';
import { planText } from '../../generator/plan-text';
import { DEVTOOLS_PINS } from '../../contract/devtools-pins';
import type { Plan } from '../../contract/plan';

async function planFor(text: string): Promise<Plan> {
  const { config, diagnostics } = await loadConfig({ text, sshKeys: ['examples/demo_ed25519.pub'] });
  assert.equal(diagnostics, []);
  return plan(config!);
}

/** the parameters planText shows for a step, read back from its YAML */
function shown(text: string, id: string): Record<string, any> {
  const at = text.search(new RegExp(`^ ?\\d+\\. ${id}$`, 'm'));
  const body = text.slice(at).split('\n').slice(1);
  const end = body.findIndex((line) => !line.startsWith('     '));
  return yaml.load(body.slice(0, end).map((line) => line.slice(5)).join('\n')) as Record<string, any>;
}

test('firstboot plan shows the pins the devtools step\'s code carries, though the plan says only which tools are on', async () => {
  const p = await planFor('devtools: {enabled: true, context7: true}\n');
  const devtools = shown(planText(p), 'devtools');
  assert.equal(devtools.claude, DEVTOOLS_PINS.claude);
  assert.equal(devtools.context7, DEVTOOLS_PINS.context7);
  assert.is(devtools.user, 'admin');
});

test('a plan another firstboot made (inspect reads any user-data) says whose pins it means, not this one\'s', async () => {
  const p = { ...(await planFor('devtools: {enabled: true, context7: true}\n')), firstboot: '0.0.1' };
  const devtools = shown(planText(p), 'devtools');
  assert.is(devtools.claude, 'pinned by firstboot 0.0.1');
  assert.is(devtools.context7, 'pinned by firstboot 0.0.1');
});

test.run();
