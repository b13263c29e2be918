import { test } from 'uvu';
import * as assert from 'uvu/assert';
import yaml from 'js-yaml';
import { loadConfig } from '../../generator/config/load';
import { plan } from '../../generator/plan';
import { planText } from '../../generator/plan-text';
import { DEVTOOLS_PINS } from '../../contract/devtools-pins';
import { AUDIT_RULES } from '../../contract/audit-rules';
import { KERNEL_SETTINGS, STATIC_IPV6_SETTINGS } from '../../contract/kernel-settings';
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
  return yaml.load(
    body
      .slice(0, end)
      .map((line) => line.slice(5))
      .join('\n'),
  ) as Record<string, any>;
}

test(
  "firstboot plan shows the pins and rules the steps' code carries, " + 'though the plan says only which are on',
  async () => {
    const p = await planFor('devtools: {enabled: true, context7: true, gsd: true}\n');
    const text = planText(p);
    const devtools = shown(text, 'devtools');
    assert.equal(devtools.claude, DEVTOOLS_PINS.claude);
    assert.equal(devtools.context7, DEVTOOLS_PINS.context7);
    assert.equal(devtools.gsd, DEVTOOLS_PINS.gsd);
    assert.is(devtools.user, 'admin');
    assert.equal(shown(text, 'audit'), { rules: AUDIT_RULES });
    const lines = (settings: [string, string][]) => settings.map(([key, value]) => `${key} = ${value}`);
    assert.equal(shown(text, 'sysctl'), {
      settings: lines(KERNEL_SETTINGS),
      'where IPv6 is static': lines(STATIC_IPV6_SETTINGS),
    });
  },
);

test(
  'a plan another firstboot made (inspect reads any user-data) ' + "says whose pins it means, not this one's",
  async () => {
    const p = { ...(await planFor('devtools: {enabled: true, context7: true}\n')), firstboot: '0.0.1' };
    const text = planText(p);
    const devtools = shown(text, 'devtools');
    assert.is(devtools.claude, "in firstboot 0.0.1's step");
    assert.is(devtools.context7, "in firstboot 0.0.1's step");
    assert.equal(shown(text, 'audit'), { rules: "in firstboot 0.0.1's step" });
    assert.equal(shown(text, 'sysctl'), { settings: "in firstboot 0.0.1's step" });
    // a plan from before the data moved into the steps' code carries its own: shown as it is
    const older = {
      ...p,
      steps: p.steps.map((s) => (s.id === 'audit' ? { ...s, rules: ['-w /etc/passwd -p wa -k identity'] } : s)),
    } as Plan;
    assert.equal(shown(planText(older), 'audit'), { rules: ['-w /etc/passwd -p wa -k identity'] });
  },
);

test.run();
