// The steps outside WAY_IN run their commands under nice: asked of the runner with a shell that keeps
// each command's options, and of the real zx, bash and nice.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Plan, StepId } from '../../contract/plan';
import type { Step } from '../../payload/step';
import type { Shell, ShellOptions } from '../../payload/lib/shell';
import { NICE, run } from '../../payload/runner';
import { zxShell } from '../../payload/lib/shell';
import { makeLog } from '../../payload/lib/log';
import { memoryFs } from '../fakes/fs';
import { commandLine } from '../fakes/shell';

/** each command with the prefix its shell was given */
function prefixShell(ran: [string, string | undefined][], options: ShellOptions = {}): Shell {
  return ((first: TemplateStringsArray | ShellOptions, ...args: unknown[]) => {
    if (!Array.isArray(first)) return prefixShell(ran, { ...options, ...(first as ShellOptions) });
    ran.push([commandLine(first as TemplateStringsArray, args), options.prefix]);
    return Promise.resolve({ stdout: '', stderr: '', exitCode: 0, ok: true });
  }) as Shell;
}

/** a converged step that runs one command */
const echo = (id: StepId): Step => ({
  id,
  after: [],
  check: async ({ $ }) => {
    await $`echo ${id}`;
    return [];
  },
  apply: async () => {},
  verify: async () => [],
});

test('the steps that keep the owner able to log in run as they are, the others under nice', async () => {
  const ids: StepId[] = ['packages', 'admin', 'ssh', 'firewall', 'fail2ban', 'audit'];
  const plan = { configHash: 'h', steps: ids.map((id) => ({ id })) } as unknown as Plan;
  const ran: [string, string | undefined][] = [];
  const machine = { $: prefixShell(ran), fs: memoryFs(), log: makeLog(() => {}) };
  await run(plan, new Map(ids.map((id) => [id, echo(id)])), machine);
  assert.equal(ran.sort(), [
    ['echo admin', undefined],
    ['echo audit', NICE],
    ['echo fail2ban', NICE],
    ['echo firewall', undefined],
    ['echo packages', undefined],
    ['echo ssh', undefined],
  ]);
});

test("NICE runs a command 10 nicer through zx's bash", async () => {
  // field 19 of /proc/PID/stat is the process's nice value
  const nice = ($: Shell) => $`sh -c ${'cut -d " " -f 19 /proc/$$/stat'}`.then((out) => out.stdout.trim());
  // relative to the test's own niceness, which a CI runner may have raised (19 is the lowest priority)
  const plain = Number(await nice(zxShell()));
  assert.is(Number(await nice(zxShell()({ prefix: NICE }))), Math.min(19, plain + 10));
});

test.run();
