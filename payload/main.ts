// The payload's command line, installed on the server as /usr/local/sbin/firstboot.
//   firstboot run [--only STEP]   converge the machine to the plan (what firstboot.service runs)
//   firstboot status [--json]     the last run's result
//   firstboot check [--json]      verify the live state; exit 1 naming what fails
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import type { Plan, StepId } from '../contract/plan';
import { nodeFs } from './lib/fs';
import { serverLog } from './lib/log';
import { zxShell } from './lib/shell';
import { check, run, summary, STATUS_FILE, type Status } from './runner';
import { registry } from './steps/index';
import { finishImage } from './image';
import { version } from './version';

const PLAN_FILE = '/var/lib/firstboot/plan.json';
const DONE_FILE = '/var/lib/firstboot/done';

const USAGE = `usage: firstboot run [--only STEP] [--plan FILE]
       firstboot status [--json]
       firstboot check [--json] [--plan FILE]
       firstboot --version`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      only: { type: 'string' },
      plan: { type: 'string', default: PLAN_FILE },
      json: { type: 'boolean', default: false },
      version: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.version) return console.log(version), 0;
  const [command] = positionals;
  if (values.help || !command) return console.log(USAGE), values.help ? 0 : 2;

  if (command === 'status') {
    const text = readFileSync(STATUS_FILE, 'utf8');
    const status = JSON.parse(text) as Status;
    if (values.json) process.stdout.write(text);
    else for (const s of status.steps) console.log(`${s.id.padEnd(10)} ${s.result.padEnd(8)} ${s.seconds.toFixed(1)}s${s.error ? `  ${s.error}` : ''}`);
    return status.ok === undefined ? 3 : status.ok ? 0 : 1;
  }

  const plan = JSON.parse(readFileSync(values.plan, 'utf8')) as Plan;
  const machine = { $: zxShell(), fs: nodeFs, log: serverLog() };

  if (command === 'check') {
    const results = await check(plan, registry, machine);
    const failing = results.filter((r) => r.problems.length > 0);
    if (values.json) console.log(JSON.stringify({ ok: failing.length === 0, steps: results }, null, 2));
    else for (const r of results) console.log(`${r.id.padEnd(10)} ${r.problems.length ? `FAIL  ${r.problems.join('; ')}` : 'ok'}`);
    return failing.length === 0 ? 0 : 1;
  }

  if (command === 'run') {
    if (values.only && !registry.has(values.only as StepId)) {
      console.error(`firstboot: no step "${values.only}"; steps: ${[...registry.keys()].join(', ')}`);
      return 2;
    }
    const started = performance.now();
    const status = await run(plan, registry, machine, values.only as StepId | undefined);
    machine.log.info(summary(status, (performance.now() - started) / 1000));
    if (!status.ok) return 1;
    if (!values.only) await machine.fs.write(DONE_FILE, `${status.finished}\n`, { mode: 0o600 });
    if (plan.mode === 'image' && !values.only) await finishImage(machine);
    return 0;
  }

  console.error(USAGE);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(`firstboot: ${(err as Error).message}`);
    process.exit(1);
  },
);
