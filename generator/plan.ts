// config -> plan: pure, JSON-serialisable, the same config always gives the same plan.
import type { Config } from './config/schema';
import type { Plan, StepPlan } from '../contract/plan';
import { configHash } from './config/hash';
import { capabilities } from './capabilities/index';
import type { PlanInput } from './capabilities/capability';
import { DEFAULT_REGISTRY, pin } from './npm-pins';
import pkg from '../package.json' with { type: 'json' };

/** The runner runs every command through zx's `$`. */
const RUNNER_NPM = ['zx'];

/** Every npm package a plan may name, pinned: what a mirror (or the VM tests' registry) must hold. */
export function npmPackages() {
  return [...new Set([...RUNNER_NPM, ...capabilities.flatMap((c) => c.npm ?? [])])].map(pin);
}

export interface PlanOptions {
  mode?: Plan['mode'];
  /** the user-data will hold a secret: only root may read the metadata service */
  secrets?: boolean;
  /** where the server fetches the pinned npm packages: a mirror, or the public registry */
  registry?: string;
}

export function plan(
  config: Config,
  { mode = 'boot', secrets = false, registry = DEFAULT_REGISTRY }: PlanOptions = {},
): Plan {
  // every server made from an image gets its host key in its own user-data (hcloud/instance-data.ts)
  const input: PlanInput = { config, secrets: secrets || mode === 'image' };
  const enabled = capabilities.flatMap((capability) => {
    const params = capability.plan(input);
    return params ? [{ capability, params: params as StepPlan }] : [];
  });
  const install = enabled.flatMap(({ capability }) => capability.packages?.(input) ?? []);
  const npm = [...RUNNER_NPM, ...enabled.flatMap(({ capability }) => capability.npm ?? [])];
  return {
    firstboot: pkg.version,
    configHash: configHash(config),
    mode,
    npm: { registry, packages: [...new Set(npm)].map(pin) },
    steps: [{ id: 'packages', install: [...new Set(install)] }, ...enabled.map(({ params }) => params)],
  };
}
