// Claude Code's, Context7's and GSD's pins: firstboot's own data, the same whatever the config says. The
// devtools step's code carries them (bundled into steps/devtools.mjs, so the plan's pieces digest pins
// them with the code), and the plan says only whether each is on. The generator reads them too: for the
// Node.js Context7 and GSD need (generate, validate) and to show them (`firstboot plan`).
// `npm run pins` (scripts/pins.ts) writes devtools-pins.json, and generator/pins.json with each of the
// Context7 and GSD trees' tarballs and its own sha512, for a mirror to hold (generator/npm-pins.ts).
import type { NpmPackage } from './plan';
import type { NpmTree } from './npm-tree';
import pins from './devtools-pins.json' with { type: 'json' };

export interface DevtoolsPins {
  /** Claude Code's native program, one pinned package per architecture (process.arch) */
  claude: Record<'x64' | 'arm64', NpmPackage>;
  /** the Context7 MCP server's dependency tree, registered in the admin's Claude Code settings */
  context7: NpmTree;
  /** GSD (get-shit-done-cc): its installer lays it out in the admin's ~/.claude; `main` is its gsd-sdk */
  gsd: NpmTree;
}

export const DEVTOOLS_PINS: DevtoolsPins = pins;
