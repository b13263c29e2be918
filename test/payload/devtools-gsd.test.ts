// GSD in the devtools step (payload/lib/devtools-gsd.ts): the pinned tree, GSD's own installer run as the
// admin, gsd-sdk on the PATH, and the drift read from what the installer laid out in the admin's ~/.claude.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { devtools, devtoolsStep, DEVTOOLS } from '../../payload/steps/devtools';
import { MARKER } from '../../payload/lib/npm';
import { DEVTOOLS_PINS as pins } from '../../contract/devtools-pins';
import { GSD_FILES, GSD_INSTALLER, GSD_VERSION, machine, params } from './devtools-machine';
import { rejects } from '../rejects';

const CLAUDE_DIR = '/home/dev/.claude';
const installs = (commands: string[]) => commands.filter((cmd) => cmd === GSD_INSTALLER).length;

test(
  "GSD: its tree, then its installer as the admin in the admin's HOME; gsd-sdk on the PATH; " +
    'once converged, a run for another part leaves it alone',
  async () => {
    const { ctx, fetched } = machine();
    assert.ok((await devtools.check(ctx)).includes(`GSD ${GSD_VERSION} is not installed`));
    await devtools.apply(ctx);
    // the tree before the installer that runs from it, the installer with a time limit
    assert.equal(fetched.slice(-2), [`${DEVTOOLS}/gsd tree of ${pins.gsd.packages.length}`, "GSD's installer, 300s"]);
    assert.is(installs(ctx.$.commands), 1);
    assert.is(
      await ctx.fs.read('/usr/local/bin/gsd-sdk'),
      `#!/bin/sh\n# Written by firstboot: GSD's gsd-sdk, pinned. Changes here are undone on its next run.\n` +
        `exec node ${DEVTOOLS}/gsd/node_modules/get-shit-done-cc/bin/gsd-sdk.js "$@"\n`,
    );
    assert.is((await ctx.fs.stat('/usr/local/bin/gsd-sdk'))!.mode, 0o755);
    assert.equal(await devtools.check(ctx), []);
    assert.equal(await devtools.verify(ctx), []);
    assert.ok(ctx.$.commands.includes('sudo -u dev -H gsd-sdk --version'));

    ctx.fs.seed('/etc/nix/nix.conf', 'sandbox = false\n');
    await devtools.apply(ctx);
    assert.is(installs(ctx.$.commands), 1, "GSD's installer ran again for nix.conf");
  },
);

test("drift: the tree, the version laid out, each file of GSD's manifest there and the admin's", async () => {
  const { ctx } = machine();
  await devtools.apply(ctx);
  const gsdDrift = async () => (await devtools.check(ctx)).filter((line) => /GSD/.test(line));
  ctx.fs.files.delete(`${CLAUDE_DIR}/${GSD_FILES[2]}`);
  ctx.fs.seed(`${CLAUDE_DIR}/${GSD_FILES[3]}`, 'mine\n', 0o644, 'root:root');
  assert.equal(await gsdDrift(), [
    `1 of GSD's 4 files are not in ${CLAUDE_DIR}, first ${GSD_FILES[2]}`,
    `1 of GSD's files in ${CLAUDE_DIR} are not dev's, first ${GSD_FILES[3]}`,
  ]);
  // apply runs the installer again, which lays each file out anew
  await devtools.apply(ctx);
  assert.is(installs(ctx.$.commands), 2);
  assert.equal(await gsdDrift(), []);

  ctx.fs.seed(`${CLAUDE_DIR}/gsd-file-manifest.json`, '{"half', 0o600, 'dev:dev');
  assert.equal(await gsdDrift(), [`${CLAUDE_DIR}/gsd-file-manifest.json is missing or not GSD's manifest`]);
  ctx.fs.seed(`${CLAUDE_DIR}/get-shit-done/VERSION`, '1.40.0\n', 0o600, 'dev:dev');
  assert.equal(await gsdDrift(), [`dev's Claude Code has GSD 1.40.0, not ${GSD_VERSION}`]);
  await ctx.fs.remove(`${CLAUDE_DIR}/get-shit-done/VERSION`);
  assert.equal(await gsdDrift(), ["GSD is not in dev's Claude Code"]);
  // another pin: the tree there is not the one pinned
  ctx.fs.seed(`${DEVTOOLS}/gsd/${MARKER}`, 'sha512-another');
  assert.equal(await gsdDrift(), [`GSD ${GSD_VERSION} is not installed`]);
});

test('a failed installer fails the step with what it said last; GSD off: no installer, no gsd-sdk', async () => {
  const { ctx } = machine();
  ctx.$.on(GSD_INSTALLER, {
    exitCode: 1,
    stdout: '  Installing for Claude Code to ~/.claude\n',
    stderr: "\u001b[33m⚠\u001b[0m  Failed to install\n  Error: EACCES: permission denied, open '/home/dev/.claude'\n",
  });
  await rejects(
    () => devtools.apply(ctx),
    /GSD's installer failed for dev \(exit 1\): ⚠ {2}Failed to install \/ Error: EACCES: permission denied, open/,
  );
  assert.is(await ctx.fs.read('/usr/local/bin/gsd-sdk'), undefined);

  const off = machine({ ...params, gsd: undefined });
  await devtools.apply(off.ctx);
  assert.is(installs(off.ctx.$.commands), 0);
  assert.not.ok(off.fetched.some((line) => line.includes('gsd')));
  assert.is(await off.ctx.fs.read('/usr/local/bin/gsd-sdk'), undefined);
  assert.not.ok((await devtools.check(off.ctx)).some((line) => /GSD|gsd/.test(line)));
  assert.not.ok((await devtools.verify(off.ctx)).length);
  assert.not.ok(off.ctx.$.commands.includes('sudo -u dev -H gsd-sdk --version'));
});

test('GSD on a Node.js older than firstboot measured: the step fails before it fetches anything', async () => {
  const { ctx, fetched } = machine();
  const newer = devtoolsStep({ ...pins, gsd: { ...pins.gsd, node: '99.0.0' } });
  await rejects(
    () => newer.apply(ctx),
    new RegExp(`^GSD needs Node\\.js 99\\.0\\.0 or later; this server has ${process.versions.node}$`),
  );
  assert.equal(fetched, []);
  assert.is(installs(ctx.$.commands), 0);
});

test('verify: gsd-sdk that does not run for the admin is named', async () => {
  const { ctx, state } = machine();
  state.daemon = true;
  ctx.$.on('sudo -u dev -H gsd-sdk --version', { exitCode: 1, stderr: "Cannot find package 'ws'\n" });
  assert.equal(await devtools.verify(ctx), ['gsd-sdk --version does not run for dev']);
});

test.run();
