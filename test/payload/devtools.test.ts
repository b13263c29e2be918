// The devtools step on a recording shell and an in-memory file system (devtools-machine.ts); GSD's part is
// in devtools-gsd.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { devtools, devtoolsStep, DEVTOOLS } from '../../payload/steps/devtools';
import { DEVTOOLS_PINS as pins } from '../../contract/devtools-pins';
import { CLAUDE, DEBIAN_NIX_CONF, GSD_VERSION, machine, params, secret, TOKEN } from './devtools-machine';
import { rejects } from '../rejects';

test('a fresh server: every piece is drift, apply sets each up, and then check finds nothing', async () => {
  const { ctx, fetched } = machine();
  await secret(ctx);
  const drift = await devtools.check(ctx);
  for (const want of [
    '/etc/nix/nix.conf differs',
    'nix-daemon.service is not running',
    'dev is not in nix-users',
    'Claude Code 2.1.333 is not installed',
    'the Context7 MCP server is not installed',
    "Context7 is not in dev's Claude Code MCP servers",
    'gh is not logged in for dev with secret github',
    `GSD ${GSD_VERSION} is not installed`,
    '/etc/systemd/system/firstboot-nix-gc.timer',
    'firstboot-nix-gc.timer is not running',
  ]) {
    assert.ok(
      drift.some((line) => line.startsWith(want)),
      `no "${want}" in ${JSON.stringify(drift)}`,
    );
  }
  await devtools.apply(ctx);
  assert.equal(await devtools.check(ctx), []);
  assert.equal(await devtools.verify(ctx), []);
  // Claude Code for this machine's architecture only, Context7's and GSD's trees, each in its own root
  assert.equal(fetched, [
    `${DEVTOOLS} ${pins.claude[process.arch as 'x64'].name}@2.1.333`,
    `${DEVTOOLS}/context7 tree of ${pins.context7.packages.length}`,
    `${DEVTOOLS}/gsd tree of ${pins.gsd.packages.length}`,
    "GSD's installer, 300s",
  ]);
});

test(
  'nix.conf keeps what Debian ships and turns on flakes and the nix command; ' + 'the admin may reach the daemon',
  async () => {
    const { ctx } = machine({ id: 'devtools', user: 'dev' });
    ctx.fs.seed('/etc/nix/nix.conf', `${DEBIAN_NIX_CONF}experimental-features = nix-command\n`);
    await devtools.apply(ctx);
    assert.is(await ctx.fs.read('/etc/nix/nix.conf'), `${DEBIAN_NIX_CONF}experimental-features = nix-command flakes\n`);
    // the running daemon reads nix.conf when it starts
    assert.ok(ctx.$.commands.includes('systemctl try-restart nix-daemon.service'));
    assert.ok(ctx.$.commands.includes('usermod --append --groups nix-users dev'));
    assert.ok(ctx.$.commands.includes('systemctl enable --now nix-daemon.service'));
  },
);

test('the weekly Nix collection: as root, older than the days set, missed runs made up; off, gone', async () => {
  const { ctx, state } = machine({ ...params, nixGcDays: 14 });
  await devtools.apply(ctx);
  assert.match(
    (await ctx.fs.read('/etc/systemd/system/firstboot-nix-gc.service'))!,
    /\nAfter=nix-daemon\.service\n[^]*\nExecStart=\/usr\/bin\/nix-collect-garbage --delete-older-than 14d\n$/,
  );
  assert.match(
    (await ctx.fs.read('/etc/systemd/system/firstboot-nix-gc.timer'))!,
    /\nOnCalendar=Sun \*-\*-\* 04:00:00\nPersistent=true\n/,
  );
  assert.ok(state.gcTimer);
  assert.not.ok((await devtools.check(ctx)).some((line) => line.includes('nix-gc')));

  // the config turns it off: the timer is stopped and its units removed
  const off = { ...ctx, params: { ...params, nixGcDays: undefined } };
  assert.equal(
    (await devtools.check(off)).filter((line) => line.includes('nix-gc')),
    ['firstboot-nix-gc.timer is there, though devtools.nix_gc is off'],
  );
  await devtools.apply(off);
  assert.not.ok(state.gcTimer);
  assert.is(await ctx.fs.stat('/etc/systemd/system/firstboot-nix-gc.timer'), undefined);
  assert.is(await ctx.fs.stat('/etc/systemd/system/firstboot-nix-gc.service'), undefined);
  assert.not.ok((await devtools.check(off)).some((line) => line.includes('nix-gc')));
});

test(
  'Claude Code runs pinned with its own updater off; ' + 'Context7 joins the MCP servers the admin already has',
  async () => {
    const { ctx } = machine();
    await devtools.apply(ctx);
    assert.is(
      await ctx.fs.read('/usr/local/bin/claude'),
      `#!/bin/sh\n# Written by firstboot: Claude Code, pinned. Changes here are undone on its next run.\n` +
        `DISABLE_AUTOUPDATER=1 exec ${CLAUDE}/claude "$@"\n`,
    );
    assert.match(
      (await ctx.fs.read('/usr/local/bin/context7-mcp'))!,
      `\nexec node ${DEVTOOLS}/context7/node_modules/@upstash/context7-mcp/dist/index.js "$@"\n`,
    );
    const settings = JSON.parse((await ctx.fs.read('/home/dev/.claude.json'))!);
    assert.equal(settings.mcpServers, {
      mine: { type: 'stdio', command: 'x' },
      context7: { type: 'stdio', command: '/usr/local/bin/context7-mcp', args: [], env: {} },
    });
    assert.is(settings.numStartups, 3);
    const stat = (await ctx.fs.stat('/home/dev/.claude.json'))!;
    assert.is(stat.mode, 0o600);
    assert.is(stat.owner, 'dev:dev');
  },
);

test(
  'gh logs in with the token on stdin, never on a command line; ' +
    'without the secret the step waits and does not fail',
  async () => {
    const { ctx } = machine();
    await secret(ctx);
    await devtools.apply(ctx);
    const login = ctx.$.commands.findIndex((cmd) => cmd.startsWith('sudo -u dev -H gh auth login'));
    assert.is(ctx.$.commands[login], 'sudo -u dev -H gh auth login --hostname github.com --with-token');
    assert.is(ctx.$.inputs.get(login), TOKEN);
    assert.not.ok(ctx.$.commands.some((cmd) => cmd.includes(TOKEN)));
    assert.not.ok(ctx.lines.some((line) => line.includes(TOKEN)));

    const waiting = machine();
    await devtools.apply(waiting.ctx);
    assert.not.ok(waiting.ctx.$.commands.some((cmd) => cmd.includes('gh auth login')));
    assert.not.ok((await devtools.check(waiting.ctx)).some((line) => line.includes('gh')));
  },
);

test(
  "a refused gh login fails the step with gh's reason; " + 'a .claude.json that is not JSON is left alone and named',
  async () => {
    const { ctx } = machine();
    await secret(ctx);
    ctx.$.on(/^sudo -u dev -H gh auth login /, {
      exitCode: 1,
      stderr: 'error validating token: HTTP 401: Bad credentials\n',
    });
    await rejects(() => devtools.apply(ctx), /gh auth login for dev failed: error validating token: HTTP 401/);

    const broken = machine();
    broken.ctx.fs.seed('/home/dev/.claude.json', '{"half', 0o600, 'dev:dev');
    await rejects(() => devtools.apply(broken.ctx), /\/home\/dev\/.claude.json is not JSON/);
    assert.is(await broken.ctx.fs.read('/home/dev/.claude.json'), '{"half');
  },
);

test('Context7 on a Node.js older than it needs: the step fails before it fetches anything', async () => {
  const { ctx, fetched } = machine();
  const newer = devtoolsStep({ ...pins, context7: { ...pins.context7, node: '99.0.0' } });
  await rejects(
    () => newer.apply(ctx),
    new RegExp(`Context7 MCP server needs Node.js 99.0.0 or later; this server has ${process.versions.node}`),
  );
  assert.equal(fetched, []);
});

test('verify names each tool that does not run for the admin, and a Nix daemon that does not answer', async () => {
  const { ctx, state } = machine();
  state.daemon = true;
  ctx.$.on('sudo -u dev -H psql --version', { exitCode: 127 }).on('sudo -u dev -H nix store ping --store daemon', {
    exitCode: 1,
  });
  assert.equal(await devtools.verify(ctx), [
    'psql --version does not run for dev',
    'the Nix daemon does not answer dev',
  ]);
});

test.run();
