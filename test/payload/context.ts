// A step context on a recording shell and an in-memory file system.
import type { Ctx } from '../../payload/step';
import type { Plan, StepPlan } from '../../contract/plan';
import { makeLog } from '../../payload/lib/log';
import { memoryFs, type MemoryFs } from '../fakes/fs';
import { recordingShell, type RecordingShell } from '../fakes/shell';

export interface TestCtx<P> extends Ctx<P> {
  $: RecordingShell;
  fs: MemoryFs;
  lines: string[];
}

export function stepContext<P extends StepPlan>(params: P, plan: Partial<Plan> = {}): TestCtx<P> {
  const lines: string[] = [];
  return {
    params,
    plan: { firstboot: 'test', configHash: 'hash', mode: 'boot', npm: { registry: 'http://registry.test/', packages: [] }, steps: [params], ...plan },
    $: recordingShell(),
    fs: memoryFs(),
    log: makeLog((line) => lines.push(line), 'DEBUG'),
    lines,
  };
}
