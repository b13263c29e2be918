import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Plan, StepId } from '../../contract/plan';
import type { Step } from '../../payload/step';
import { run, check, summary } from '../../payload/runner';
import { steps } from '../../payload/steps/index';
import { capabilities } from '../../generator/capabilities/index';
import { SERVER_PATHS } from '../../contract/paths';
import type { Status } from '../../contract/status';
import { makeLog } from '../../payload/lib/log';
import { memoryFs } from '../fakes/fs';
import { recordingShell } from '../fakes/shell';

/** A step converged once `state[id]` is set; `broken` makes apply throw. */
function fake(id: StepId, after: StepId[], state: Record<string, boolean>, broken = false): Step {
  return {
    id,
    after,
    check: async () => (state[id] ? [] : [`${id} differs`]),
    apply: async () => {
      if (broken) throw new Error(`${id} broke`);
      state[id] = true;
    },
    verify: async () => [],
  } as Step;
}

const plan: Plan = {
  firstboot: 't',
  configHash: 'h',
  mode: 'boot',
  npm: { registry: 'http://registry.test/', packages: [] },
  steps: [
    { id: 'packages', install: [] },
    { id: 'admin', name: 'a', shell: '/bin/sh', keys: [] },
    { id: 'ssh' } as any,
    { id: 'pam' },
  ],
};

function machine() {
  const lines: string[] = [];
  let t = 0;
  return { $: recordingShell(), fs: memoryFs(), log: makeLog((l) => lines.push(l)), lines, clock: () => (t += 0.5) };
}

test('first run changes, second run changes nothing', async () => {
  const state: Record<string, boolean> = {};
  const registry = new Map<StepId, Step>(
    ['packages', 'admin', 'ssh', 'pam'].map((id) => [id as StepId, fake(id as StepId, [], state)]),
  );
  const m = machine();
  const first = await run(plan, registry, m);
  assert.equal(
    first.steps.map((s) => s.result),
    ['changed', 'changed', 'changed', 'changed'],
  );
  assert.equal(first.steps[0].drift, ['packages differs']);
  assert.is(first.ok, true);
  const second = await run(plan, registry, m);
  assert.equal(
    second.steps.map((s) => s.result),
    ['ok', 'ok', 'ok', 'ok'],
  );
  assert.equal(
    JSON.parse((await m.fs.read(SERVER_PATHS.status))!).steps.map((s: { result: string }) => s.result),
    ['ok', 'ok', 'ok', 'ok'],
  );
  assert.is((await m.fs.stat(SERVER_PATHS.status))!.mode, 0o600);
});

test('a failed step skips the steps that need it and not the others', async () => {
  const state: Record<string, boolean> = {};
  const registry = new Map<StepId, Step>([
    ['packages', fake('packages', [], state)],
    ['admin', fake('admin', ['packages'], state, true)],
    ['ssh', fake('ssh', ['admin'], state)],
    ['pam', fake('pam', [], state)],
  ]);
  const m = machine();
  const status = await run(plan, registry, m);
  assert.equal(
    status.steps.map((s) => s.result),
    ['changed', 'failed', 'skipped', 'changed'],
  );
  assert.is(status.steps[1].error, 'admin broke');
  assert.is(status.steps[2].error, 'needs admin, which did not succeed');
  assert.is(status.ok, false);
  assert.match(
    summary(status, 12.34),
    /^firstboot finished: failed \(4 steps: 2 changed, 0 ok, 1 failed, 1 skipped\) in 12\.3s$/,
  );
  assert.ok(m.lines.some((l) => /\[ERROR\] admin +failed/.test(l)));
});

test('a step still differing after apply fails; an unknown step id fails alone', async () => {
  const stubborn = { ...fake('packages', [], {}), apply: async () => {} } as Step;
  const registry = new Map<StepId, Step>([
    ['packages', stubborn],
    ['pam', fake('pam', [], {})],
  ]);
  const status: Status = await run(plan, registry, machine());
  assert.is(status.steps[0].result, 'failed');
  assert.match(status.steps[0].error!, /still differs after apply: packages differs/);
  assert.match(status.steps[1].error!, /has no step "admin"/);
  assert.is(status.steps[3].result, 'changed');
});

test(
  'a step whose code the fetch did not bring waits, saying from where and why; ' +
    'the steps after it run; check lists it',
  async () => {
    const state: Record<string, boolean> = {};
    const registry = new Map<StepId, Step>(
      ['packages', 'ssh', 'pam'].map((id) => [id as StepId, fake(id as StepId, [], state)]),
    );
    const why = "firstboot's pieces from https://pieces.example/: HTTP 404";
    const status = await run(plan, registry, machine(), undefined, Promise.resolve({ registry, unfetched: why }));
    assert.equal(
      status.steps.map((s) => [s.id, s.result]),
      [
        ['packages', 'changed'],
        ['admin', 'waiting'],
        ['ssh', 'changed'],
        ['pam', 'changed'],
      ],
    );
    assert.is(status.steps[1].error, `waiting for ${why}`);
    assert.is(status.ok, true);
    const checked = await check(plan, registry, machine(), why);
    assert.equal(checked[1], { id: 'admin', problems: [`waiting for ${why}`] });
  },
);

test(
  "while firstboot's pieces are fetched, the steps already here run; " + 'a fetched step runs once the fetch is over',
  async () => {
    const state: Record<string, boolean> = {};
    const events: string[] = [];
    const step = (id: StepId): Step => ({
      ...fake(id, [], state),
      apply: async () => {
        events.push(id);
        state[id] = true;
      },
    });
    const here = new Map<StepId, Step>(['packages', 'ssh', 'pam'].map((id) => [id as StepId, step(id as StepId)]));
    const fetching = new Promise<{ registry: Map<StepId, Step> }>((resolve) =>
      setTimeout(() => {
        events.push('fetched');
        resolve({ registry: new Map([...here, ['admin', step('admin')]]) });
      }, 20),
    );
    const status = await run(plan, here, machine(), undefined, fetching);
    assert.equal(events, ['packages', 'ssh', 'pam', 'fetched', 'admin']);
    assert.ok(status.steps.every((s) => s.result === 'changed'));
    // with everything here, plan order
    events.length = 0;
    for (const id of Object.keys(state)) delete state[id];
    await run(
      plan,
      new Map([...here, ['admin', step('admin')]]),
      machine(),
      undefined,
      Promise.resolve({ registry: here }),
    );
    assert.equal(events, ['packages', 'admin', 'ssh', 'pam']);
  },
);

test(
  'steps run side by side, each once the earlier steps it names in after and notBefore have finished; ' +
    'a failed notBefore step skips nothing',
  async () => {
    const events: string[] = [];
    /** apply takes `ticks` turns of the event loop, so a step beside it has time to start */
    const timed = (id: StepId, after: StepId[], notBefore: StepId[], ticks: number, broken = false): Step =>
      ({
        ...fake(id, after, {}),
        notBefore,
        check: async () => (events.includes(`${id} end`) ? [] : [`${id} differs`]),
        apply: async () => {
          events.push(`${id} start`);
          for (let i = 0; i < ticks; i++) await new Promise((resolve) => setImmediate(resolve));
          events.push(`${id} end`);
          if (broken) throw new Error(`${id} broke`);
        },
      }) as Step;
    const registry = new Map<StepId, Step>([
      // names a later step: never waited for (that step could be waiting for this one)
      ['packages', timed('packages', [], ['pam'], 1)],
      ['admin', timed('admin', ['packages'], [], 5, true)],
      ['ssh', timed('ssh', ['packages'], ['admin'], 1)],
      ['pam', timed('pam', ['packages'], [], 1)],
    ]);
    const status = await run(plan, registry, machine());
    const at = (event: string) => events.indexOf(event);
    assert.ok(at('admin start') < at('pam start') && at('pam end') < at('admin end'), `pam beside admin: ${events}`);
    assert.ok(at('admin end') < at('ssh start'), `ssh waits for admin: ${events}`);
    assert.ok(at('packages end') < at('admin start'), `admin waits for packages: ${events}`);
    assert.equal(
      status.steps.map((s) => [s.id, s.result]),
      [
        ['packages', 'changed'],
        ['admin', 'failed'],
        ['ssh', 'changed'],
        ['pam', 'changed'],
      ],
    );
  },
);

test('steps that read what another changes never run beside it, and name only steps the plan puts first', async () => {
  // [step, the one it waits for]: the lockout rules' pairs (docs/ARCHITECTURE.md) and shared files
  const pairs: [StepId, StepId][] = [
    ['ssh', 'admin'],
    ['firewall', 'ssh'],
    ['firewall', 'metadata'],
    ['pam', 'admin'],
    ['baseline', 'admin'],
    ['geoip', 'ssh'],
    ['geoip', 'firewall'],
    ['tailscale', 'geoip'],
    ['devtools', 'baseline'],
    ['devtools', 'pam'],
  ];
  const order: StepId[] = capabilities.map((c) => c.id);
  for (const [id, first] of pairs) {
    const step = await steps[id]();
    assert.ok([...step.after, ...(step.notBefore ?? [])].includes(first), `${id} does not wait for ${first}`);
  }
  for (const id of order) {
    const step = await steps[id]();
    for (const first of [...step.after, ...(step.notBefore ?? [])].filter((name) => name !== 'packages'))
      assert.ok(order.indexOf(first) < order.indexOf(id), `${id} names ${first}, which the plan puts after it`);
  }
});

test('--only runs one step; check reports drift and live problems without changing anything', async () => {
  const state: Record<string, boolean> = {};
  const registry = new Map<StepId, Step>(
    ['packages', 'admin', 'ssh', 'pam'].map((id) => [id as StepId, fake(id as StepId, [], state)]),
  );
  const only = await run(plan, registry, machine(), 'ssh');
  assert.equal(
    only.steps.map((s) => s.id),
    ['ssh'],
  );
  const results = await check(plan, registry, machine());
  assert.equal(
    results.map((r) => r.problems),
    [['packages differs'], ['admin differs'], [], ['pam differs']],
  );
  assert.equal(state, { ssh: true });
});

test('check lists a problem that check and verify both find once', async () => {
  const same: Step = { ...fake('pam', [], {}), verify: async () => ['pam differs', 'pam is live-broken'] } as Step;
  const results = await check({ ...plan, steps: [{ id: 'pam' }] }, new Map<StepId, Step>([['pam', same]]), machine());
  assert.equal(
    results.map((r) => r.problems),
    [['pam differs', 'pam is live-broken']],
  );
});

test(
  'a step whose secret is not given waits: ' + 'the run is ok, the step says which secret and how to give it',
  async () => {
    const waits: Step = {
      ...fake('admin', [], { admin: true }),
      check: async (ctx) => ((await ctx.secret('console')) === undefined ? [] : ['admin differs']),
    } as Step;
    const registry = new Map<StepId, Step>([
      ['admin', waits],
      ['pam', fake('pam', ['admin'], {})],
    ]);
    const m = machine();
    const twoSteps = { ...plan, steps: [plan.steps[1], plan.steps[3]] };
    const status = await run(twoSteps, registry, m);
    assert.equal(
      status.steps.map((s) => s.result),
      ['waiting', 'changed'],
    );
    assert.is(status.ok, true);
    assert.is(status.steps[0].error, 'waiting for secret console (firstboot apply HOST --secret console=...)');
    assert.match(summary(status, 1), /\(2 steps: 1 changed, 0 ok, 1 waiting, 0 failed, 0 skipped\)/);
    assert.equal((await check(twoSteps, registry, m))[0].problems, [
      'waiting for secret console (firstboot apply HOST --secret console=...)',
    ]);
    // given, it is read from the root-only folder
    await m.fs.write(`${SERVER_PATHS.secrets}/console`, 'value', { mode: 0o600 });
    assert.equal((await run(twoSteps, registry, m)).steps[0].result, 'failed', 'the secret was not read');
  },
);

test.run();
