// The developer toolchain. Debian's tools and Nix come from the packages step; here: Nix set up for the
// admin (flakes and the nix command, the nix-users group that may reach the daemon) and its weekly
// garbage collection, Claude Code, Context7 and GSD from their npm pins, Context7 registered in the
// admin's Claude Code settings, GSD laid out in them by its own installer (lib/devtools-gsd.ts), and gh
// logged in with the github_token secret, which goes to gh on stdin. The pins are this code's own
// (contract/devtools-pins.ts, bundled in): the plan says only which tools are on.
import type { DevtoolsPlan } from '../../contract/plan';
import { DEVTOOLS_PINS, type DevtoolsPins } from '../../contract/devtools-pins';
import type { Step, Ctx } from '../step';
import type { Fs } from '../lib/fs';
import type { Shell } from '../lib/shell';
import { filesDrift, header, writeFiles, type FileSpec } from '../lib/files';
import { enableNow, unitsDown } from '../lib/systemd';
import { MARKER, npmInstall } from '../lib/npm';
import { treeInstall } from '../lib/npm-tree';
import { nodeAtLeast } from '../../contract/npm-tree';
import { CONTEXT7_ROOT, DEVTOOLS, GSD_ROOT, NIX_GC } from '../lib/devtools-paths';
import { gsdDrift, installGsd } from '../lib/devtools-gsd';

export { DEVTOOLS };

const NIX_CONF = '/etc/nix/nix.conf';
const FEATURES = 'experimental-features = nix-command flakes';
// the service, not its socket: Debian 13's package starts the service, which then holds the socket itself
const NIX_DAEMON = 'nix-daemon.service';

const arch = () => process.arch as 'x64' | 'arm64';
/** what the plan turns on, as pinned */
const pinned = (p: DevtoolsPlan, pins: DevtoolsPins) => ({
  claude: p.claude ? pins.claude[arch()] : undefined,
  context7: p.context7 ? pins.context7 : undefined,
  gsd: p.gsd ? pins.gsd : undefined,
});
type Pinned = ReturnType<typeof pinned>;
const home = (user: string) => `/home/${user}`;
/** a command as the admin, in its own HOME (the admin step installed sudo) */
const asAdmin = ($: Shell, user: string, argv: string[], input?: string) =>
  $({ nothrow: true, input, timeout: '60s' })`sudo -u ${user} -H ${argv}`;

/** The commands on the admin's PATH: Claude Code's own updater stays off, firstboot's pins update it. */
function wrappers({ claude, context7, gsd }: Pinned): FileSpec[] {
  const script = (what: string, line: string) => `#!/bin/sh
${header(what)}${line} "$@"
`;
  return [
    ...(claude
      ? [
          {
            path: '/usr/local/bin/claude',
            content: script(
              'Claude Code, pinned',
              `DISABLE_AUTOUPDATER=1 exec ${DEVTOOLS}/node_modules/${claude.name}/claude`,
            ),
            mode: 0o755,
          },
        ]
      : []),
    ...(context7
      ? [
          {
            path: '/usr/local/bin/context7-mcp',
            content: script(
              'the Context7 MCP server, pinned',
              `exec node ${CONTEXT7_ROOT}/node_modules/${context7.main}`,
            ),
            mode: 0o755,
          },
        ]
      : []),
    ...(gsd
      ? [
          {
            path: '/usr/local/bin/gsd-sdk',
            content: script("GSD's gsd-sdk, pinned", `exec node ${GSD_ROOT}/node_modules/${gsd.main}`),
            mode: 0o755,
          },
        ]
      : []),
  ];
}

// the weekly garbage collection, as root: the store is the daemon's
const GC_UNITS = [`${NIX_GC}.service`, `${NIX_GC}.timer`].map((unit) => `/etc/systemd/system/${unit}`);

function gcUnits(days: number): FileSpec[] {
  const [service, timer] = GC_UNITS;
  return [
    {
      path: service,
      content: `${header('the weekly Nix garbage collection')}[Unit]
Description=firstboot: Nix garbage collection of what is older than ${days} days
After=${NIX_DAEMON}

[Service]
Type=oneshot
ExecStart=/usr/bin/nix-collect-garbage --delete-older-than ${days}d
`,
      mode: 0o644,
    },
    {
      // Persistent: a server that was off on Sunday collects at its next boot
      path: timer,
      content: `${header('the weekly Nix garbage collection')}[Unit]
Description=firstboot: the weekly Nix garbage collection

[Timer]
OnCalendar=Sun *-*-* 04:00:00
Persistent=true
RandomizedDelaySec=1800

[Install]
WantedBy=timers.target
`,
      mode: 0o644,
    },
  ];
}

/** The collection's drift: its units as the plan has them, or gone when it is off. */
async function gcDrift({ $, fs }: Ctx<DevtoolsPlan>, days?: number): Promise<string[]> {
  if (days) return [...(await filesDrift(fs, gcUnits(days))), ...(await unitsDown($, [`${NIX_GC}.timer`]))];
  return (await fs.stat(GC_UNITS[1])) ? [`${NIX_GC}.timer is there, though devtools.nix_gc is off`] : [];
}

async function applyGc({ $, fs }: Ctx<DevtoolsPlan>, days?: number): Promise<void> {
  if (days) {
    if (await writeFiles(fs, gcUnits(days))) await $`systemctl daemon-reload`;
    return enableNow($, `${NIX_GC}.timer`);
  }
  if (!(await fs.stat(GC_UNITS[1]))) return;
  await $`systemctl disable --now ${NIX_GC}.timer`;
  for (const path of GC_UNITS) await fs.remove(path);
  await $`systemctl daemon-reload`;
}

/** /etc/nix/nix.conf as Debian ships it, with flakes and the nix command on */
async function nixConf(fs: Fs): Promise<FileSpec> {
  const lines = ((await fs.read(NIX_CONF)) ?? '')
    .split('\n')
    .filter((line) => line && !/^\s*experimental-features\s*=/.test(line));
  return { path: NIX_CONF, content: [...lines, FEATURES].join('\n') + '\n', mode: 0o644 };
}

const CONTEXT7_SERVER = { type: 'stdio', command: '/usr/local/bin/context7-mcp', args: [], env: {} };

/** Claude Code keeps its user settings, MCP servers among them, in ~/.claude.json */
async function claudeSettings(
  fs: Fs,
  user: string,
): Promise<{ path: string; settings: Record<string, any> } | undefined> {
  const path = `${home(user)}/.claude.json`;
  const text = await fs.read(path);
  try {
    return { path, settings: text ? JSON.parse(text) : {} };
  } catch {
    return undefined;
  }
}

async function installed(fs: Fs, root: string, pin: string): Promise<boolean> {
  return (await fs.read(`${root}/${MARKER}`)) === pin;
}

async function drift(ctx: Ctx<DevtoolsPlan>, pins: DevtoolsPins): Promise<string[]> {
  const { params: p, $, fs } = ctx;
  const tools = pinned(p, pins);
  const { claude, context7, gsd } = tools;
  const out = [
    ...(await filesDrift(fs, [await nixConf(fs), ...wrappers(tools)])),
    ...(await unitsDown($, [NIX_DAEMON])),
    ...(await gcDrift(ctx, p.nixGcDays)),
  ];
  const groups = (await $({ nothrow: true })`id -nG ${p.user}`).stdout.split(/\s+/);
  if (!groups.includes('nix-users')) out.push(`${p.user} is not in nix-users (the group that may use the Nix daemon)`);
  if (claude && !(await installed(fs, `${DEVTOOLS}/node_modules/${claude.name}`, claude.integrity)))
    out.push(`Claude Code ${claude.version} is not installed`);
  if (context7) {
    if (!(await installed(fs, CONTEXT7_ROOT, context7.digest))) out.push('the Context7 MCP server is not installed');
    const claudeJson = await claudeSettings(fs, p.user);
    if (JSON.stringify(claudeJson?.settings.mcpServers?.context7) !== JSON.stringify(CONTEXT7_SERVER))
      out.push(`Context7 is not in ${p.user}'s Claude Code MCP servers`);
  }
  if (gsd) out.push(...(await gsdDrift(fs, p.user, gsd)));
  if (p.github) {
    const token = await ctx.secret(p.github);
    const stored = await asAdmin($, p.user, ['gh', 'auth', 'token']);
    if (token !== undefined && stored.stdout.trim() !== token)
      out.push(`gh is not logged in for ${p.user} with secret ${p.github}`);
  }
  return out;
}

/** The step, with the pins it installs: its own, or others in a test. */
export const devtoolsStep = (pins: DevtoolsPins): Step<'devtools'> => ({
  id: 'devtools',
  after: ['packages', 'admin'],
  // the admin's sessions take their umask (login.defs) and TMPDIR (PAM) from these
  notBefore: ['baseline', 'pam'],
  check: (ctx) => drift(ctx, pins),
  async apply(ctx) {
    const { params: p, $, fs, plan, log } = ctx;
    const tools = pinned(p, pins);
    const { claude, context7, gsd } = tools;
    // generate said so already; here it fails before anything is fetched
    for (const [name, tree] of [
      ['the Context7 MCP server', context7],
      ['GSD', gsd],
    ] as const) {
      if (tree && !nodeAtLeast(process.versions.node, tree.node))
        throw new Error(`${name} needs Node.js ${tree.node} or later; this server has ${process.versions.node}`);
    }
    if (await writeFiles(fs, [await nixConf(fs)])) await $`systemctl try-restart ${NIX_DAEMON}`;
    await $`usermod --append --groups nix-users ${p.user}`;
    await enableNow($, NIX_DAEMON);
    await applyGc(ctx, p.nixGcDays);
    const fetch = { registry: plan.npm.registry, log: (line: string) => log.info(line) };
    if (claude) await npmInstall.packages([claude], { ...fetch, root: DEVTOOLS });
    if (context7) {
      await treeInstall.tree(context7, { ...fetch, root: CONTEXT7_ROOT });
      const claudeJson = await claudeSettings(fs, p.user);
      if (!claudeJson) throw new Error(`${home(p.user)}/.claude.json is not JSON; Context7 was not added to it`);
      const { path, settings } = claudeJson;
      settings.mcpServers = { ...settings.mcpServers, context7: CONTEXT7_SERVER };
      await fs.write(path, JSON.stringify(settings, null, 2) + '\n', { mode: 0o600, owner: `${p.user}:${p.user}` });
    }
    // its installer runs only when GSD differs: a run for another part leaves ~/.claude as it is
    if (gsd && (await gsdDrift(fs, p.user, gsd)).length) await installGsd($, p.user, gsd, fetch);
    await writeFiles(fs, wrappers(tools));
    if (p.github) {
      const token = await ctx.secret(p.github);
      if (token === undefined) return;
      const out = await asAdmin($, p.user, ['gh', 'auth', 'login', '--hostname', 'github.com', '--with-token'], token);
      if (!out.ok) throw new Error(`gh auth login for ${p.user} failed: ${out.stderr.trim()}`);
    }
  },
  async verify({ params: p, $ }) {
    const problems = await unitsDown($, [NIX_DAEMON]);
    const tools = ['git', 'gh', 'sqlite3', 'psql', 'redis-cli', 'cc', 'nix'];
    // gsd-sdk --version loads its whole SDK (the Agent SDK, ws): the tree GSD's workflows call is whole
    tools.push(...(p.claude ? ['claude'] : []), ...(p.gsd ? ['gsd-sdk'] : []));
    for (const tool of tools) {
      if (!(await asAdmin($, p.user, [tool, '--version'])).ok)
        problems.push(`${tool} --version does not run for ${p.user}`);
    }
    // the daemon answers the admin: the store is the daemon's, the admin only reaches it through the socket
    if (!(await asAdmin($, p.user, ['nix', 'store', 'ping', '--store', 'daemon'])).ok)
      problems.push(`the Nix daemon does not answer ${p.user}`);
    return problems;
  },
});

export const devtools = devtoolsStep(DEVTOOLS_PINS);
