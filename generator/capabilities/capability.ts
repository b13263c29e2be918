// What a capability is on the generator's side: its plan function and what its step needs installed.
// The payload's side is the step of the same id (payload/steps/); the registry is ./index.ts.
import type { Config } from '../config/schema';
import type { ParamsOf, StepId } from '../../contract/plan';

export interface PlanInput {
  config: Config;
  /** the user-data will hold a secret: only root may read the metadata service */
  secrets: boolean;
}

export interface Capability<I extends StepId = StepId> {
  id: I;
  /** the step's parameters, or undefined when the config turns the capability off */
  plan(input: PlanInput): ParamsOf<I> | undefined;
  /** Debian packages the step needs, installed in the packages step's one transaction */
  packages?(input: PlanInput): string[];
  /** npm packages the step needs (names from package-lock.json), fetched pinned on the server */
  npm?: string[];
}
