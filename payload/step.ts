// The step contract: every capability is one module of this shape (DESIGN.md, "The step contract").
import type { Plan, StepId, ParamsOf } from '../contract/plan';
import type { Fs } from './lib/fs';
import type { Shell } from './lib/shell';
import type { Log } from './lib/log';

export interface Ctx<P> {
  params: P;
  plan: Plan;
  /** zx's `$` on the server; a recording shell in tests */
  $: Shell;
  /** node's file system on the server; an in-memory one in tests */
  fs: Fs;
  log: Log;
}

export interface Step<I extends StepId = StepId> {
  id: I;
  title: string;
  /** steps that must have succeeded first; a failure there skips this step */
  after: StepId[];
  /** read-only: how the machine differs from the plan; empty means converged */
  check(ctx: Ctx<ParamsOf<I>>): Promise<string[]>;
  /** make it so; called only when check found drift */
  apply(ctx: Ctx<ParamsOf<I>>): Promise<void>;
  /** the live state (effective values, running services); empty means healthy */
  verify(ctx: Ctx<ParamsOf<I>>): Promise<string[]>;
}
