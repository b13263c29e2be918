// Runs the plan's steps: check, apply when something differs, verify. Each step starts once the steps
// it names (`after`, `notBefore`) have finished, beside the others. One line per step, a status file
// after each (a reboot mid-run leaves an honest record), and a failed step only stops the steps that
// need it.
import { WAY_IN, type Plan, type StepId, type StepPlan } from '../contract/plan';
import { SERVER_PATHS } from '../contract/paths';
import { statusLine, type Result, type Status, type StepStatus } from '../contract/status';
import type { Ctx, Step } from './step';
import type { Fs } from './lib/fs';
import type { Log } from './lib/log';
import type { Shell } from './lib/shell';
import { version } from './version';

export interface Machine {
  $: Shell;
  fs: Fs;
  log: Log;
  /** monotonic seconds, injectable so tests get stable durations */
  clock?: () => number;
}

const now = () => performance.now() / 1000;

/**
 * Before each command of the steps outside WAY_IN, after zx's own prefix: on a first boot, where nearly
 * every command is CPU-bound, the chain of steps that keep the owner able to log in is also the run's
 * longest, and the other steps take the CPU it leaves idle.
 */
export const NICE = 'set -euo pipefail;nice -n 10 ';

/** The step's context; `waiting` collects what it waits for: the secrets it did not find, and what it says. */
function context(params: StepPlan, plan: Plan, machine: Machine, waiting: Set<string>): Ctx<any> {
  const secret = async (name: string) => {
    const value = await machine.fs.read(`${SERVER_PATHS.secrets}/${name}`);
    if (!value) waiting.add(`secret ${name} (firstboot apply HOST --secret ${name}=...)`);
    return value || undefined;
  };
  return {
    params,
    plan,
    $: WAY_IN.includes(params.id) ? machine.$ : machine.$({ prefix: NICE }),
    fs: machine.fs,
    log: machine.log,
    secret,
    waitFor: (what: string) => void waiting.add(what),
  };
}

export const waitingFor = (what: Set<string>) => [...what].map((w) => `waiting for ${w}`).join('; ');

async function runStep(step: Step, ctx: Ctx<any>): Promise<Pick<StepStatus, 'result' | 'drift' | 'error'>> {
  const drift = await step.check(ctx);
  if (drift.length > 0) {
    for (const line of drift) ctx.log.info(`${step.id}: ${line}`);
    await step.apply(ctx);
    const left = await step.check(ctx);
    if (left.length > 0) return { result: 'failed', drift, error: `still differs after apply: ${left.join('; ')}` };
  }
  const problems = await step.verify(ctx);
  if (problems.length > 0) return { result: 'failed', drift, error: problems.join('; ') };
  return drift.length > 0 ? { result: 'changed', drift } : { result: 'ok' };
}

/**
 * A step whose code this payload lacks fails, unless `unfetched` says why the code is not here yet
 * (firstboot's pieces not fetched: payload/lib/pieces.ts); it then waits for that.
 */
const missing = (id: StepId, unfetched?: string): Pick<StepStatus, 'result' | 'error'> =>
  unfetched
    ? { result: 'waiting', error: `waiting for ${unfetched}` }
    : { result: 'failed', error: `this payload (${version}) has no step "${id}"` };

/** The steps firstboot's pieces brought, once their fetch is over; `unfetched` says why some are still missing. */
export interface Fetched {
  registry: Map<StepId, Step>;
  unfetched?: string;
}

/**
 * Runs the plan's steps, each as soon as the earlier steps it names in `after` and `notBefore` have
 * finished. With `fetching` (firstboot's pieces on their way), a step whose code is not here also waits
 * for the fetch: a source that is down delays no step the user-data carries. (Those are the steps that
 * keep the owner able to log in, which depend on no fetched one.) status.json lists them in plan order.
 */
export async function run(
  plan: Plan,
  registry: Map<StepId, Step>,
  machine: Machine,
  only?: StepId,
  fetching?: Promise<Fetched>,
): Promise<Status> {
  const clock = machine.clock ?? now;
  const status: Status = {
    firstboot: version,
    configHash: plan.configHash,
    started: new Date().toISOString(),
    steps: [],
  };
  const chosen = plan.steps.filter((params) => !only || params.id === only);
  const failed = new Set<StepId>();
  // one write at a time: steps beside each other finish at the same moment
  let saved = Promise.resolve();
  const save = () =>
    (saved = saved.then(() =>
      machine.fs.write(SERVER_PATHS.status, JSON.stringify(status, null, 2) + '\n', { mode: 0o600 }),
    ));

  const finished: StepStatus[] = [];
  const done: Promise<void>[] = [];
  chosen.forEach((params, index) => {
    const runOne = async () => {
      const fetched = registry.has(params.id) || !fetching ? undefined : await fetching;
      const step = registry.get(params.id) ?? fetched?.registry.get(params.id);
      const first = [...(step?.after ?? []), ...(step?.notBefore ?? [])];
      // only earlier steps are waited for, so no names can make two steps wait for each other
      await Promise.all(done.slice(0, index).filter((_, i) => first.includes(chosen[i].id)));
      const start = clock();
      let outcome: Pick<StepStatus, 'result' | 'drift' | 'error'>;
      const blocker = step?.after.find((id) => failed.has(id));
      if (!step) outcome = missing(params.id, fetched?.unfetched);
      else if (blocker) outcome = { result: 'skipped', error: `needs ${blocker}, which did not succeed` };
      else {
        const waiting = new Set<string>();
        try {
          outcome = await runStep(step, context(params, plan, machine, waiting));
          if (waiting.size && outcome.result !== 'failed')
            outcome = { ...outcome, result: 'waiting', error: waitingFor(waiting) };
        } catch (err) {
          outcome = { result: 'failed', error: (err as Error).message };
        }
      }
      if (outcome.result === 'failed' || outcome.result === 'skipped') failed.add(params.id);
      const seconds = Math.round((clock() - start) * 10) / 10;
      const entry: StepStatus = { id: params.id, ...outcome, seconds };
      finished[index] = entry;
      status.steps = finished.filter((e) => e);
      const line = statusLine(entry);
      if (entry.result === 'failed') machine.log.error(line);
      else if (entry.result === 'skipped' || entry.result === 'waiting') machine.log.warn(line);
      else machine.log.info(line);
      await save();
    };
    done.push(runOne());
  });
  await Promise.all(done);
  status.finished = new Date().toISOString();
  status.ok = failed.size === 0;
  await save();
  return status;
}

/** The one line the console, cloud-init's log and test harnesses wait for. */
export function summary(status: Status, seconds: number): string {
  const count = (result: Result) => status.steps.filter((s) => s.result === result).length;
  const parts = (['changed', 'ok', 'waiting', 'failed', 'skipped'] as const)
    .filter((r) => r !== 'waiting' || count(r))
    .map((r) => `${count(r)} ${r}`)
    .join(', ');
  return (
    `firstboot finished: ${status.ok ? 'ok' : 'failed'} (${status.steps.length} steps: ${parts}) ` +
    `in ${seconds.toFixed(1)}s`
  );
}

export interface CheckResult {
  id: StepId;
  problems: string[];
}

/** `firstboot check`: each step's live verification, without changing anything. */
export async function check(
  plan: Plan,
  registry: Map<StepId, Step>,
  machine: Machine,
  unfetched?: string,
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const params of plan.steps) {
    const step = registry.get(params.id);
    if (!step) {
      results.push({ id: params.id, problems: [missing(params.id, unfetched).error!] });
      continue;
    }
    const waiting = new Set<string>();
    const ctx = context(params, plan, machine, waiting);
    try {
      // a step whose files are its live state (pam) finds the same problem in both: say it once
      const problems = [
        ...new Set([...(await step.check(ctx)), ...(await step.verify(ctx)), ...((await step.unplanned?.(ctx)) ?? [])]),
      ];
      results.push({ id: params.id, problems: waiting.size ? [...problems, waitingFor(waiting)] : problems });
    } catch (err) {
      results.push({ id: params.id, problems: [(err as Error).message] });
    }
  }
  return results;
}
