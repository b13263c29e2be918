// The plan for people: each step in order with what it will configure.
import yaml from 'js-yaml';
import type { Plan } from '../contract/plan';

export function planText(plan: Plan): string {
  const head = `firstboot ${plan.firstboot} plan (config ${plan.configHash.slice(0, 12)}, mode ${plan.mode}): ${plan.steps.length} steps\n`;
  const steps = plan.steps.map(({ id, ...params }, i) => {
    const body = Object.keys(params).length
      ? yaml.dump(params, { lineWidth: 100, flowLevel: 2, noRefs: true }).replace(/^/gm, '     ').trimEnd()
      : '     (no parameters)';
    return `\n${String(i + 1).padStart(2)}. ${id}\n${body}\n`;
  });
  return head + steps.join('');
}
