// The shipped payload bundle: zx's `$` with the stand-ins and cuts of scripts/build.ts still behaves as
// zx documents, on the Node the bundle targets.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPayload } from '../../scripts/build';

const tmp = mkdtempSync(join(tmpdir(), 'firstboot-bundle-'));

test('$ quotes, fails, nothrows, feeds stdin and times out in the trimmed bundle', async () => {
  const entry = join(tmp, 'probe.ts');
  writeFileSync(
    entry,
    `import { zxShell } from ${JSON.stringify(new URL('../../payload/lib/shell.ts', import.meta.url).pathname)};
const $ = zxShell();
(async () => {
const out: Record<string, unknown> = {};
out.quoted = (await $\`printf %s \${"a b; echo injected"}\`).stdout;
out.spread = (await $\`echo \${['x', 'y z']}\`).stdout;
try { await $\`sh -c \${'echo oops >&2; exit 3'}\`; } catch (e: any) { out.thrown = [e.exitCode, e.stderr, /exit code: 3/.test(e.message)]; }
const soft = await $({ nothrow: true })\`false\`;
out.nothrow = [soft.ok, soft.exitCode];
out.input = (await $({ input: 'fed' })\`cat\`).stdout;
const slow = await $({ nothrow: true, timeout: '200ms' })\`sleep 5\`;
out.timeout = slow.ok;
console.log(JSON.stringify(out));
})();`,
  );
  const bundle = join(tmp, 'probe.cjs');
  await buildPayload(bundle, entry); // the payload's own build: stand-ins, cuts, node18 target
  const run = spawnSync('node', [bundle], { encoding: 'utf8', timeout: 20_000 });
  assert.is(run.status, 0, run.stderr);
  const out = JSON.parse(run.stdout);
  assert.is(out.quoted, 'a b; echo injected');
  assert.is(out.spread, 'x y z\n');
  assert.equal(out.thrown, [3, 'oops\n', true]);
  assert.equal(out.nothrow, [false, 1]);
  assert.is(out.input, 'fed');
  assert.is(out.timeout, false);
});

test.run();
