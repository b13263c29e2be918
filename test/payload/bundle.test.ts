// The payload's build leaves zx out; on the server it imports zx as published, from node_modules beside
// it. Built as the payload is, this probe checks that `$` behaves as the steps expect of it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { PAYLOAD_BUILD } from '../../scripts/build';

const tmp = mkdtempSync(join(tmpdir(), 'firstboot-bundle-'));

test('$ quotes, fails, nothrows, feeds stdin and times out, with the real zx beside the bundle', async () => {
  const entry = join(tmp, 'probe.ts');
  writeFileSync(
    entry,
    `import { zxShell } from ${JSON.stringify(new URL('../../payload/lib/shell.ts', import.meta.url).pathname)};
const $ = zxShell();
(async () => {
const out: Record<string, unknown> = {};
out.quoted = (await $\`printf %s \${"a b; echo injected"}\`).stdout;
out.spread = (await $\`echo \${['x', 'y z']}\`).stdout;
try { await $\`sh -c \${'echo oops >&2; exit 3'}\`; } catch (e: any) { out.thrown = [e.exitCode, e.stderr, /exit \
code: 3/.test(e.message)]; }
const soft = await $({ nothrow: true })\`false\`;
out.nothrow = [soft.ok, soft.exitCode];
out.input = (await $({ input: 'fed' })\`cat\`).stdout;
const slow = await $({ nothrow: true, timeout: '200ms' })\`sleep 5\`;
out.timeout = slow.ok;
console.log(JSON.stringify(out));
})();`,
  );
  await build({ ...PAYLOAD_BUILD, entryPoints: [entry], outdir: join(tmp, 'out'), outbase: tmp });
  // where the server's fetch puts zx: node_modules beside the payload's folder
  symlinkSync(resolve('node_modules'), join(tmp, 'node_modules'));
  const run = spawnSync('node', [join(tmp, 'out', 'probe.mjs')], { encoding: 'utf8', timeout: 20_000 });
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
