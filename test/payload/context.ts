// A step context on a recording shell and an in-memory file system.
import type { Ctx } from '../../payload/step';
import type { Plan, StepPlan } from '../../contract/plan';
import { SERVER_PATHS } from '../../contract/paths';
import { makeLog } from '../../payload/lib/log';
import { memoryFs, type MemoryFs } from '../fakes/fs';
import { recordingShell, type RecordingShell } from '../fakes/shell';

export interface TestCtx<P> extends Ctx<P> {
  $: RecordingShell;
  fs: MemoryFs;
  lines: string[];
  /** what the step said it waits for (waitFor) */
  waiting: string[];
}

export function stepContext<P extends StepPlan>(params: P, plan: Partial<Plan> = {}): TestCtx<P> {
  const lines: string[] = [];
  const waiting: string[] = [];
  const fs = memoryFs();
  return {
    params,
    plan: {
      firstboot: 'test',
      configHash: 'hash',
      mode: 'boot',
      npm: { registry: 'http://registry.test/', packages: [] },
      steps: [params],
      ...plan,
    },
    $: recordingShell(),
    fs,
    log: makeLog((line) => lines.push(line), 'DEBUG'),
    // as the runner gives it (payload/runner.ts), without the "waiting" record
    secret: async (name) => (await fs.read(`${SERVER_PATHS.secrets}/${name}`)) || undefined,
    waitFor: (what) => void waiting.push(what),
    lines,
    waiting,
  };
}
