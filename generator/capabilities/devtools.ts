// The developer toolchain: Debian's tools and Nix come with the packages step; Claude Code and the
// Context7 MCP server are pinned npm packages the devtools step fetches. Their pins are in the step's
// code (contract/devtools-pins.ts): the plan says only which of them the config turns on.
import type { Capability } from './capability';
import type { Plan } from '../../contract/plan';
import { DEVTOOLS_PINS } from '../../contract/devtools-pins';

/** The Node.js each Hetzner image's distribution has (DESIGN.md), for what needs a newer one. */
export const IMAGE_NODE: Record<string, string> = {
  'debian-12': '18.20',
  'ubuntu-24.04': '18.19',
  'debian-13': '20.19',
};

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
      ...(d.github_token && { github: d.github_token }),
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
  const step = plan.steps.find((s) => s.id === 'devtools');
  const need = step?.id === 'devtools' && step.context7 && DEVTOOLS_PINS.context7.node;
  if (!need) return undefined;
  const images = Object.entries(IMAGE_NODE)
    .map(([image, node]) => `${image} has ${node}`)
    .join(', ');
  return `devtools.context7 needs Node.js ${need} or later on the server (${images}); on an older one the devtools step fails`;
}
