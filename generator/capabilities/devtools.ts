// The developer toolchain: Debian's tools and Nix come with the packages step; Claude Code, the
// Context7 MCP server and GSD are pinned npm packages the devtools step fetches. Their pins are in the step's
// code (contract/devtools-pins.ts): the plan says only which of them the config turns on.
import type { Capability } from './capability';
import { stepOf, type Plan } from '../../contract/plan';
import { DEVTOOLS_PINS } from '../../contract/devtools-pins';
import { boolean, integer, section } from '../config/dsl';
import { IMAGE_NODE } from '../config/images';
import { secret } from '../config/kinds';

export const devtoolsSection = section(
  {
    enabled: boolean({
      doc:
        'Turn the developer toolchain on or off: git, gh, sqlite3, the PostgreSQL and Redis clients and ' +
        'build-essential from the distribution, and Nix (its daemon running, flakes and the nix command on, ' +
        'the admin in nix-users).',
      default: false,
    }),
    claude: boolean({
      doc:
        'Claude Code for the admin (`claude`), its native program from the npm registry, pinned by version ' +
        'and sha512 (`npm run pins` refreshes the pins).',
      default: true,
    }),
    context7: boolean({
      doc:
        'The Context7 MCP server from the npm registry, pinned (its whole dependency tree), registered in ' +
        "the admin's Claude Code settings. It needs Node.js 20.18.1 or later: Debian 13 has it; Debian 12 " +
        'and Ubuntu 24.04 do not, and `generate` says so.',
      default: false,
    }),
    gsd: boolean({
      doc:
        "GSD (get-shit-done-cc), a spec-driven workflow of skills, agents and hooks for Claude Code: GSD's " +
        "installer lays it out for the admin's Claude Code (~/.claude) and `gsd-sdk` goes on the PATH, pinned " +
        'by version and sha512 (its whole dependency tree). It declares Node.js 22 but runs on the ' +
        "distributions' Node (18.19 or later: measured on 18.20 and 20.20), so every image has it. It needs " +
        "devtools.claude: true. Updates come from firstboot's pins, not GSD's updater; its update check (a " +
        'hook asking npm at each session start) stays, since its installer has no switch for it.',
      default: false,
    }),
    nix_gc: section(
      {
        enabled: boolean({
          doc:
            'A weekly garbage collection of the Nix store, Sundays at 04:00 (or at the next boot, when the ' +
            "server was off then): a small server's disk does not fill with old builds. The daily report " +
            'says how the last one went.',
          default: true,
        }),
        days: integer({
          doc:
            'What the collection deletes: profile generations older than this many days, then every store ' +
            'path nothing refers to any more (`nix-collect-garbage --delete-older-than`).',
          default: 30,
          min: 1,
          max: 3650,
        }),
      },
      { doc: "Nix's weekly garbage collection." },
    ),
    github_token: secret({
      doc:
        'A GitHub token gh logs the admin in with: "secret:NAME", given at `firstboot apply` or ' +
        "`create --wait`; gh keeps it in the admin's own ~/.config/gh. Without it, run `gh auth login` once.",
    }),
  },
  { doc: "A developer's server: the toolchain, Nix, Claude Code with Context7 and GSD, and gh logged in." },
);

export const devtools: Capability<'devtools'> = {
  id: 'devtools',
  plan: ({ config }) => {
    const d = config.devtools;
    if (!d.enabled) return undefined;
    return {
      id: 'devtools',
      user: config.admin.name,
      ...(d.claude && { claude: true as const }),
      ...(d.context7 && { context7: true as const }),
      ...(d.gsd && { gsd: true as const }),
      ...(d.github_token && { github: d.github_token }),
      ...(d.nix_gc.enabled && { nixGcDays: d.nix_gc.days }),
    };
  },
  packages: () => [
    'git',
    'gh',
    'sqlite3',
    'postgresql-client',
    'redis-tools',
    'build-essential',
    'nix-bin',
    'nix-setup-systemd',
  ],
};

/** generate does not know the image: what the plan needs of the server's Node.js, said before it boots */
export function nodeNeeded(plan: Plan): string | undefined {
  const step = stepOf(plan, 'devtools');
  const needs = (['context7', 'gsd'] as const)
    .filter((tool) => step?.[tool])
    .map((tool) => `devtools.${tool} needs Node.js ${DEVTOOLS_PINS[tool].node} or later`);
  if (!needs.length) return undefined;
  const images = Object.entries(IMAGE_NODE)
    .map(([image, node]) => `${image} has ${node}`)
    .join(', ');
  return `${needs.join(' and ')} on the server (${images}); on an older one the devtools step fails`;
}
