// The plan for people: each step in order with what it will configure.
import yaml from 'js-yaml';
import type { Plan, StepPlan } from '../contract/plan';
import { DEVTOOLS_PINS } from '../contract/devtools-pins';
import { AUDIT_RULES } from '../contract/audit-rules';
import { KERNEL_SETTINGS, STATIC_IPV6_SETTINGS } from '../contract/kernel-settings';
import pkg from '../package.json' with { type: 'json' };

/**
 * A step's parameters, with what its code brings for them: the devtools step's pins, the audit step's
 * rules and the sysctl step's settings are firstboot's own data, in the step's code rather than the plan. They are this
 * firstboot's, so a plan another version made (inspect reads any user-data) says whose they are instead.
 */
function shown(step: StepPlan, version: string): Record<string, unknown> {
  const { id: _, ...params } = step;
  const ours = version === pkg.version;
  const own = (value: unknown) => (ours ? value : `in firstboot ${version}'s step`);
  if (step.id === 'audit' && !('rules' in params)) return { ...params, rules: own(AUDIT_RULES) };
  if (step.id === 'sysctl' && !('settings' in params)) {
    const lines = (settings: [string, string][]) => settings.map(([key, value]) => `${key} = ${value}`);
    return {
      ...params,
      settings: own(lines(KERNEL_SETTINGS)),
      ...(ours && { 'where IPv6 is static': lines(STATIC_IPV6_SETTINGS) }),
    };
  }
  if (step.id === 'devtools') {
    return {
      ...params,
      ...(step.claude === true && { claude: own(DEVTOOLS_PINS.claude) }),
      ...(step.context7 === true && { context7: own(DEVTOOLS_PINS.context7) }),
      ...(step.gsd === true && { gsd: own(DEVTOOLS_PINS.gsd) }),
    };
  }
  return params;
}

export function planText(plan: Plan): string {
  const head =
    `firstboot ${plan.firstboot} plan (config ${plan.configHash.slice(0, 12)}, ` +
    `mode ${plan.mode}): ${plan.steps.length} steps\n`;
  const steps = plan.steps.map((step, i) => {
    const params = shown(step, plan.firstboot);
    const body = Object.keys(params).length
      ? yaml.dump(params, { lineWidth: 100, flowLevel: 2, noRefs: true }).replace(/^/gm, '     ').trimEnd()
      : '     (no parameters)';
    return `\n${String(i + 1).padStart(2)}. ${step.id}\n${body}\n`;
  });
  return head + steps.join('');
}
