// The step contract: every capability is one module of this shape (docs/ARCHITECTURE.md, "The step contract").
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
  /** a secret given over SSH; undefined until it is, and the step's result is then "waiting" for it */
  secret(name: string): Promise<string | undefined>;
  /** the step cannot go on until something outside it happens (`what`, a sentence): its result is then "waiting" */
  waitFor(what: string): void;
}

export interface Step<I extends StepId = StepId> {
  id: I;
  /** steps that must have succeeded first; a failure there skips this step */
  after: StepId[];
  /**
   * steps that must have finished first, whatever their result: they change what this one reads (the
   * runner runs every other step beside the ones before it)
   */
  notBefore?: StepId[];
  /** read-only: how the machine differs from the plan; empty means converged */
  check(ctx: Ctx<ParamsOf<I>>): Promise<string[]>;
  /** make it so; called only when check found drift */
  apply(ctx: Ctx<ParamsOf<I>>): Promise<void>;
  /** the live state (effective values, running services); empty means healthy */
  verify(ctx: Ctx<ParamsOf<I>>): Promise<string[]>;
  /**
   * what is there beyond the plan and the run leaves alone by rule (a port a user opened):
   * `firstboot check` names it
   */
  unplanned?(ctx: Ctx<ParamsOf<I>>): Promise<string[]>;
}
