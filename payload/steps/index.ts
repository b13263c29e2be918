// Every capability the payload knows, by plan step id, each in the file named after it. A step is
// loaded only when the plan has it: the user-data carries only the steps its config turns on
// (generator/render.ts), so the others' files are not on the server at all.
import type { StepId } from '../../contract/plan';
import type { Step } from '../step';

export const steps: Record<StepId, () => Promise<Step<any>>> = {
  packages: () => import('./packages').then((m) => m.packages),
  metadata: () => import('./metadata').then((m) => m.metadata),
  hostname: () => import('./hostname').then((m) => m.hostname),
  timezone: () => import('./timezone').then((m) => m.timezone),
  admin: () => import('./admin').then((m) => m.admin),
  ssh: () => import('./ssh').then((m) => m.ssh),
  firewall: () => import('./firewall').then((m) => m.firewall),
  fail2ban: () => import('./fail2ban').then((m) => m.fail2ban),
  audit: () => import('./audit').then((m) => m.audit),
  sysctl: () => import('./sysctl').then((m) => m.sysctl),
  pam: () => import('./pam').then((m) => m.pam),
  baseline: () => import('./baseline').then((m) => m.baseline),
  upgrades: () => import('./upgrades').then((m) => m.upgrades),
  report: () => import('./report').then((m) => m.report),
  geoip: () => import('./geoip').then((m) => m.geoip),
  tailscale: () => import('./tailscale').then((m) => m.tailscale),
  devtools: () => import('./devtools').then((m) => m.devtools),
  extras: () => import('./extras').then((m) => m.extras),
};

/** The plan's steps that this payload has; a missing one is reported by the runner, not thrown here. */
export async function loadSteps(ids: StepId[]): Promise<Map<StepId, Step>> {
  const found = new Map<StepId, Step>();
  for (const id of new Set(ids)) {
    const load = Object.hasOwn(steps, id) ? steps[id] : undefined;
    const step = await load?.().catch(() => undefined);
    if (step) found.set(id, step);
  }
  return found;
}
