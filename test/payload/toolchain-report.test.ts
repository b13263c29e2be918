// The daily report's toolchain section: the Nix store, the last garbage collection, and the pinned tools
// against a real HTTP server standing in for the npm registry.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DevtoolsPlan, Plan } from '../../contract/plan';
import { dailyReport } from '../../payload/daily-report';
import { check } from '../../payload/runner';
import { toolchainSection } from '../../payload/toolchain-report';
import { DEVTOOLS } from '../../payload/lib/devtools-paths';
import { printed, server } from './report-server';

const devtools: DevtoolsPlan = { id: 'devtools', user: 'dev', claude: true, context7: true, gsd: true, nixGcDays: 30 };
const CLAUDE = `@anthropic-ai/claude-code-linux-${process.arch}`;

/** a registry answering the packument's dist-tags, as npm's does; what it was asked for, kept */
async function registry(latest: Record<string, string>): Promise<{ url: string; asked: string[]; server: Server }> {
  const asked: string[] = [];
  const server = createServer((req, res) => {
    asked.push(`${req.url} ${req.headers.accept}`);
    const name = decodeURIComponent(req.url!.slice(1));
    if (!latest[name]) return void res.writeHead(404).end('{}');
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ 'dist-tags': { latest: latest[name] } }));
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, asked, server };
}

function toolchainServer(registryUrl: string, collected: boolean) {
  const s = server();
  const plan: Plan = { ...s.plan, npm: { ...s.plan.npm, registry: registryUrl }, steps: [...s.plan.steps, devtools] };
  s.ctx.fs
    .seed(`${DEVTOOLS}/node_modules/${CLAUDE}/package.json`, JSON.stringify({ name: CLAUDE, version: '2.1.333' }))
    .seed(
      `${DEVTOOLS}/context7/node_modules/@upstash/context7-mcp/package.json`,
      JSON.stringify({ name: '@upstash/context7-mcp', version: '2.0.0' }),
    )
    .seed(
      `${DEVTOOLS}/gsd/node_modules/get-shit-done-cc/package.json`,
      JSON.stringify({ name: 'get-shit-done-cc', version: '1.42.3' }),
    );
  s.ctx.$.on('du -sh /nix/store', { stdout: '1.3G\t/nix/store\n' })
    .on('systemctl show firstboot-nix-gc.service -p Result -p ExecMainExitTimestamp', {
      stdout: collected
        ? 'Result=success\nExecMainExitTimestamp=Sun 2026-11-29 04:12:09 UTC\n'
        : 'Result=success\nExecMainExitTimestamp=\n',
    })
    .on('journalctl -u firstboot-nix-gc.service -q -o cat -n 50', {
      stdout:
        'finding garbage collector roots...\ndeleting unused links...\n412 store paths deleted, 1024.50 MiB freed\n',
    });
  return { ...s, plan };
}

test('the store, the last collection and each pinned tool against the registry; in the report', async () => {
  const r = await registry({ [CLAUDE]: '2.1.400', '@upstash/context7-mcp': '2.0.0', 'get-shit-done-cc': '1.43.0' });
  try {
    const { plan, machine, registry: steps } = toolchainServer(r.url, true);
    assert.equal(await toolchainSection(plan, devtools, machine), [
      'Nix store: 1.3G',
      'last Nix garbage collection Sun 2026-11-29 04:12:09 UTC: success (412 store paths deleted, 1024.50 MiB freed)',
      'Claude Code 2.1.333: 2.1.400 is out (npm run pins in firstboot, then firstboot apply)',
      'Context7 2.0.0: the latest',
      'GSD 1.42.3: 1.43.0 is out (npm run pins in firstboot, then firstboot apply)',
    ]);
    // the scoped name escaped as npm's clients do, the short packument asked for
    assert.ok(
      r.asked.includes('/@anthropic-ai%2fclaude-code-linux-x64 application/vnd.npm.install-v1+json'),
      r.asked.join('\n'),
    );
    const { text } = await printed(async () => dailyReport(plan, await check(plan, steps, machine), machine, false));
    assert.match(text, /\ndeveloper toolchain\n {2}Nix store: 1\.3G\n/);
  } finally {
    r.server.close();
  }
});

test('no collection yet, a registry that does not know the package or does not answer: said, not failed', async () => {
  const r = await registry({});
  r.server.close();
  const gone = toolchainServer(r.url, false);
  const lines = await toolchainSection(gone.plan, devtools, gone.machine);
  assert.is(lines[1], 'Nix garbage collection: not run yet (weekly, Sundays at 04:00)');
  assert.match(lines[2], /^Claude Code 2\.1\.333: the registry does not answer \(/);

  const empty = await registry({});
  try {
    const s = toolchainServer(empty.url, false);
    assert.is(
      (await toolchainSection(s.plan, devtools, s.machine))[2],
      'Claude Code 2.1.333: the registry answers HTTP 404',
    );
    const off = await toolchainSection(
      s.plan,
      { ...devtools, nixGcDays: undefined, claude: undefined, context7: undefined, gsd: undefined },
      s.machine,
    );
    assert.equal(off, ['Nix store: 1.3G', 'Nix garbage collection: off (devtools.nix_gc)']);
  } finally {
    empty.server.close();
  }
});

test.run();
