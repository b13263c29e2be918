// `npm run mutants`: one-line changes that would lock a user out, leak a secret or break a retry, each
// applied to the source in turn, the fast tests run against it, and the file put back. A mutant the
// tests do not catch is a behaviour nothing guards. Not part of npm test: it runs the suite once per
// mutant, stopping at the first failure (--bail), which only a surviving mutant never meets.
// `-- WORD` runs only the mutants whose file or description holds WORD; `-- --shard K/N` every Nth
// from the Kth (one shard per checkout and core); `-- --check` only checks that each finds its text.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

import { ACCESS_MUTANTS } from './mutants/access';
import type { Mutant } from './mutants/mutant';
import { OWNER_MUTANTS } from './mutants/owner';
import { SERVER_MUTANTS } from './mutants/server';
import { STEP_MUTANTS } from './mutants/steps';

/** Files the tests read only as built (dist/): a mutant in them is built before the tests run. */
const BUILT = new Set(['cloud-init/unpack.js']);
const build = () => spawnSync('npx', ['tsx', 'scripts/build.ts'], { stdio: 'inherit' });

const MUTANTS: Mutant[] = [...ACCESS_MUTANTS, ...STEP_MUTANTS, ...SERVER_MUTANTS, ...OWNER_MUTANTS];

function fastTests(): { caught: boolean; by: string } {
  const run = spawnSync('npx', ['uvu', '-r', 'tsx', 'test', '\\.test\\.ts$', '-i', 'vm', '--bail'], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  const output = (run.stdout + run.stderr).replace(/\x1b\[[0-9;]*m/g, '');
  const failed = output.match(/FAIL\s+(?:\S.*?\s+)?"([^"]+)"/)?.[1];
  const total = Number(output.match(/Total:\s+(\d+)/)?.[1] ?? 0);
  const passed = Number(output.match(/Passed:\s+(\d+)/)?.[1] ?? 0);
  const caught = run.status !== 0 || passed < total;
  return { caught, by: failed ?? (caught ? `exit ${run.status}, ${passed} of ${total} passed` : '') };
}

// `npm run mutants -- --check`: only that each mutant's text is still in its file once (after a merge)
if (process.argv[2] === '--check') {
  const stale = MUTANTS.filter((m) => readFileSync(m.file, 'utf8').split(m.from).length !== 2);
  for (const m of stale) console.log(`${m.file}: "${m.what}" does not find its text exactly once`);
  console.log(`${MUTANTS.length - stale.length} of ${MUTANTS.length} mutants find their text`);
  process.exit(stale.length ? 1 : 0);
}

// a suite that fails unmutated would count every mutant as caught
const baseline = fastTests();
if (baseline.caught) throw new Error(`the fast tests fail without any mutant (${baseline.by}): fix them first`);

const rows: string[] = [];
let survived = 0;
const [, k, n] = /^--shard=?(\d+)\/(\d+)$/.exec(process.argv.slice(2).join('=')) ?? [];
const only = k ? undefined : process.argv[2];
const chosen = MUTANTS.filter((m, i) =>
  k ? i % Number(n) === Number(k) - 1 : !only || m.file.includes(only) || m.what.includes(only),
);
for (const m of chosen) {
  const original = readFileSync(m.file, 'utf8');
  const count = original.split(m.from).length - 1;
  if (count !== 1)
    throw new Error(
      `${m.file}: the mutant "${m.what}" expects its text once, found ${count} times: update it in scripts/mutants/`,
    );
  writeFileSync(
    m.file,
    original.replace(m.from, () => m.to),
  ); // a function: `$` in the text is no pattern
  if (BUILT.has(m.file)) build();
  try {
    const { caught, by } = fastTests();
    if (!caught) survived++;
    rows.push(
      `${caught ? 'caught  ' : 'SURVIVED'}  ${m.kind.padEnd(8)} ${m.what}` +
        (by ? `\n                    by "${by}"` : ''),
    );
    console.log(rows.at(-1));
  } finally {
    writeFileSync(m.file, original);
    if (BUILT.has(m.file)) build();
  }
}
console.log(`\n${chosen.length - survived} of ${chosen.length} mutants caught by the fast tests; ${survived} survived`);
process.exitCode = survived ? 1 : 0;
