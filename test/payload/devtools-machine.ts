// What the devtools step's tests share: the plan, and Debian 13 after the packages step with the admin made,
// whose shell answers as that machine would. The npm side (real downloads) is lib/npm.ts and
// lib/npm-tree.ts, tested in npm.test.ts, and stands in here as what it would write; GSD's installer stands
// in as what it writes into the admin's ~/.claude.
import type { DevtoolsPlan } from '../../contract/plan';
import { DEVTOOLS } from '../../payload/steps/devtools';
import { MARKER, npmInstall } from '../../payload/lib/npm';
import { treeInstall } from '../../payload/lib/npm-tree';
import { gsdVersion } from '../../payload/lib/devtools-gsd';
import { DEVTOOLS_PINS as pins } from '../../contract/devtools-pins';
import { stepContext, type TestCtx } from './context';

export const params: DevtoolsPlan = {
  id: 'devtools',
  user: 'dev',
  claude: true,
  context7: true,
  gsd: true,
  github: 'github',
  nixGcDays: 30,
};
export const CLAUDE = `${DEVTOOLS}/node_modules/${pins.claude[process.arch as 'x64']?.name}`;
export const DEBIAN_NIX_CONF = '# see https://nixos.org/nix/manual/#sec-conf-file\nsandbox = false\n';
export const TOKEN = 'ghp_the-github-token';
export const GSD_VERSION = gsdVersion(pins.gsd);
export const GSD_INSTALLER =
  `sudo -u dev -H node ${DEVTOOLS}/gsd/node_modules/get-shit-done-cc/bin/install.js ` + '--claude --global --no-sdk';
/** some of what GSD's installer lays out, each listed in its manifest with its sha256 */
export const GSD_FILES = [
  'get-shit-done/VERSION',
  'skills/gsd-new-project/SKILL.md',
  'agents/gsd-planner.md',
  'hooks/gsd-check-update.js',
];

/** what GSD's installer writes, as the admin (its umask: sudo's 0077) */
function gsdLaidOut(ctx: TestCtx<DevtoolsPlan>): void {
  const files = Object.fromEntries(GSD_FILES.map((file) => [file, 'ab'.repeat(32)]));
  for (const file of GSD_FILES) ctx.fs.seed(`/home/dev/.claude/${file}`, `${file}\n`, 0o600, 'dev:dev');
  ctx.fs
    .seed('/home/dev/.claude/get-shit-done/VERSION', GSD_VERSION, 0o600, 'dev:dev')
    .seed(
      '/home/dev/.claude/gsd-file-manifest.json',
      JSON.stringify({ version: GSD_VERSION, timestamp: '2026-12-05T17:26:22.589Z', mode: 'full', files }),
      0o600,
      'dev:dev',
    );
}

export function machine(p: DevtoolsPlan = params) {
  const ctx = stepContext(p);
  const state = { groups: 'dev', daemon: false, ghToken: '', gcTimer: false };
  ctx.fs
    .seed('/etc/nix/nix.conf', DEBIAN_NIX_CONF)
    .seed(
      '/home/dev/.claude.json',
      '{"numStartups": 3, "mcpServers": {"mine": {"type": "stdio", "command": "x"}}}',
      0o600,
      'dev:dev',
    );
  // what ran, in order: the fetches and GSD's installer with its timeout
  const fetched: string[] = [];
  ctx.$.on('id -nG dev', () => ({ stdout: `${state.groups}\n` }))
    .on(/^usermod --append --groups nix-users dev$/, () => ((state.groups += ' nix-users'), {}))
    .on(/^systemctl is-(enabled|active) --quiet nix-daemon.service$/, () => ({ exitCode: state.daemon ? 0 : 1 }))
    .on('systemctl try-restart nix-daemon.service', {})
    .on('systemctl enable --now nix-daemon.service', () => ((state.daemon = true), {}))
    .on(/^systemctl is-(enabled|active) --quiet firstboot-nix-gc.timer$/, () => ({ exitCode: state.gcTimer ? 0 : 1 }))
    .on('systemctl enable --now firstboot-nix-gc.timer', () => ((state.gcTimer = true), {}))
    .on('systemctl disable --now firstboot-nix-gc.timer', () => ((state.gcTimer = false), {}))
    .on('systemctl daemon-reload', {})
    .on('sudo -u dev -H gh auth token', () => ({ stdout: state.ghToken, exitCode: state.ghToken ? 0 : 1 }))
    .on(/^sudo -u dev -H gh auth login /, (_cmd, opts) => ((state.ghToken = `${opts.input}\n`), {}))
    .on(/^sudo -u dev -H \S+ --version$/, { stdout: 'v1\n' })
    .on('sudo -u dev -H nix store ping --store daemon', {})
    .on(GSD_INSTALLER, (_cmd, opts) => (fetched.push(`GSD's installer, ${opts.timeout}`), gsdLaidOut(ctx), {}));
  npmInstall.packages = async (packages, options) => {
    for (const pkg of packages) {
      fetched.push(`${options.root} ${pkg.name}@${pkg.version}`);
      ctx.fs.seed(`${options.root}/node_modules/${pkg.name}/${MARKER}`, pkg.integrity);
    }
  };
  treeInstall.tree = async (tree, options) => {
    fetched.push(`${options.root} tree of ${tree.packages.length}`);
    ctx.fs.seed(`${options.root}/${MARKER}`, tree.digest);
  };
  return { ctx, state, fetched };
}

export const secret = (ctx: TestCtx<DevtoolsPlan>) =>
  ctx.fs.write('/var/lib/firstboot/secrets/github', TOKEN, { mode: 0o600 });
