// The payload's command line, run on the server as /usr/local/sbin/firstboot.
//   firstboot run [--only STEP]   converge the machine to the plan (what firstboot.service runs)
//   firstboot status [-o json]    the last run's result
//   firstboot check [-o json]     verify the live state; exit 1 naming what fails
//   firstboot host-key new|swap|show   replace the host key the user-data carried (payload/host-key.ts)
//   firstboot report --print | --now    the daily security report (payload/daily-report.ts)
// zx is not in this bundle: the plan pins it, and it is fetched before anything loads it.
import { parseArgs } from 'node:util';
import { existsSync, readFileSync } from 'node:fs';
import type { Plan, StepId } from '../contract/plan';
import { SERVER_PATHS } from '../contract/paths';
import { checkLine, statusLine, type Status } from '../contract/status';
import { nodeFs } from './lib/fs';
import { serverLog, type Log } from './lib/log';
import { fetchPackages } from './lib/npm';
import { diskWarnings } from './lib/disk';
import { check, run, summary, type Fetched, type Machine } from './runner';
import { loadSteps, steps } from './steps/index';
import { version } from './version';

const USAGE = `usage: firstboot run [--only STEP] [--plan FILE]
       firstboot status [-o json]
       firstboot check [-o json] [--plan FILE]
       firstboot host-key new | swap | show
       firstboot report --print | --now
       firstboot --version`;

/**
 * The pinned npm packages, then zx's `$`. A failed fetch runs nothing; for a run it also leaves a
 * status that says why (check changes nothing, the last run's status included).
 */
async function machineFor(plan: Plan, log: Log, recordFailure: boolean): Promise<Machine> {
  try {
    await fetchPackages(plan.npm.packages, {
      registry: plan.npm.registry,
      root: SERVER_PATHS.lib,
      log: (line) => log.info(line),
    });
  } catch (err) {
    if (!recordFailure) throw err;
    const status: Status = {
      firstboot: version,
      configHash: plan.configHash,
      started: new Date().toISOString(),
      ok: false,
      error: (err as Error).message,
      steps: [],
    };
    await nodeFs.write(SERVER_PATHS.status, JSON.stringify(status, null, 2) + '\n', { mode: 0o600 });
    throw err;
  }
  const { zxShell } = await import('./lib/shell');
  return { $: zxShell(), fs: nodeFs, log };
}

/** Where this program's own files are: the pieces fetched for it go beside it. */
const PAYLOAD_DIR = new URL('.', import.meta.url).pathname;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      only: { type: 'string' },
      plan: { type: 'string', default: SERVER_PATHS.plan },
      output: { type: 'string', short: 'o' },
      print: { type: 'boolean', default: false },
      now: { type: 'boolean', default: false },
      version: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.version) return (console.log(version), 0);
  // -o is a format, as in the CLI on your machine
  if (values.output !== undefined && values.output !== 'json')
    return (console.error(`firstboot: -o takes "json", got "${values.output}"`), 2);
  const json = values.output === 'json';
  const [command] = positionals;
  if (values.help || !command) return (console.log(USAGE), values.help ? 0 : 2);

  if (command === 'status') {
    const text = readFileSync(SERVER_PATHS.status, 'utf8');
    const status = JSON.parse(text) as Status;
    if (json) process.stdout.write(text);
    else for (const s of status.steps) console.log(statusLine(s));
    if (status.error && !json) console.log(status.error);
    return status.ok === undefined ? 3 : status.ok ? 0 : 1;
  }
  if (command === 'host-key') {
    const action = positionals[1];
    if (!['new', 'swap', 'show'].includes(action))
      return (console.error('usage: firstboot host-key new | swap | show'), 2);
    const { hostKey } = await import('./host-key');
    return (console.log(hostKey(action)), 0);
  }
  if (!['run', 'check', 'report'].includes(command)) return (console.error(USAGE), 2);
  if (values.only && !Object.hasOwn(steps, values.only)) {
    console.error(`firstboot: no step "${values.only}"; steps: ${Object.keys(steps).join(', ')}`);
    return 2;
  }

  const plan = JSON.parse(readFileSync(values.plan, 'utf8')) as Plan;
  if (command === 'report' && (values.print === values.now || !plan.steps.some((s) => s.id === 'report'))) {
    return (
      console.error(
        values.print === values.now ? USAGE : 'firstboot: the plan has no report (report.enabled in firstboot.yaml)',
      ),
      2
    );
  }
  // only a run's own output is its log on stdout; the others print their result there
  const machine = await machineFor(
    plan,
    serverLog(undefined, command === 'run' ? console.log : console.error),
    command === 'run',
  );
  // firstboot's pieces the user-data left out (payload/pieces.ts): check changes nothing, a run and the
  // report fetch them. A run starts the steps it carries meanwhile; only what is here is loaded now,
  // so no import meets a file before the fetch has written it.
  const ids = plan.steps.map((s) => s.id);
  const registry = await loadSteps(ids.filter((id) => existsSync(`${PAYLOAD_DIR}steps/${id}.mjs`)));
  const pieces = plan.pieces && (await import('./pieces'));
  const fetching: Promise<Fetched> | undefined = pieces
    ?.unfetchedPieces(plan, PAYLOAD_DIR, {
      root: SERVER_PATHS.lib,
      log: (line) => machine.log.info(line),
      fetch: command !== 'check',
    })
    .then(async (unfetched) => ({ unfetched, registry: await loadSteps(ids) }));

  if (command === 'report') {
    const { unfetched, registry: all } = (await fetching) ?? { registry };
    if (unfetched) return (console.error(`firstboot: waiting for ${unfetched}`), 1);
    return (await import('./daily-report')).dailyReport(plan, await check(plan, all, machine), machine, values.now);
  }
  if (command === 'check') {
    const { unfetched, registry: all } = (await fetching) ?? { registry };
    const results = await check(plan, all, machine, unfetched);
    const failing = results.filter((r) => r.problems.length > 0);
    const warnings = await diskWarnings(machine.$);
    if (json) console.log(JSON.stringify({ ok: failing.length === 0, steps: results, warnings }, null, 2));
    else for (const line of [...results.map(checkLine), ...warnings]) console.log(line);
    return failing.length === 0 ? 0 : 1;
  }

  const started = performance.now();
  const status = await run(plan, registry, machine, values.only as StepId | undefined, fetching);
  machine.log.info(summary(status, (performance.now() - started) / 1000));
  const unfetched = (await fetching)?.unfetched;
  if (unfetched) await pieces?.retryLater(machine.$, machine.log);
  if (!status.ok) return 1;
  // a golden image with steps still waiting would make every server from it wait the same way
  if (unfetched && plan.mode === 'image')
    return (machine.log.error(`the image is not finished: waiting for ${unfetched}`), 1);
  if (!values.only) await machine.fs.write(SERVER_PATHS.done, `${status.finished}\n`, { mode: 0o600 });
  if (plan.mode === 'image' && !values.only) await (await import('./image')).finishImage(machine);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(`firstboot: ${(err as Error).message}`);
    process.exit(1);
  },
);
