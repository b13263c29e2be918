// Where the devtools step puts what the daily report reads back: its own module, so the report's bundle
// carries these names and not the step.

/** the pinned tools' root: Claude Code's package in node_modules/, the trees in their own folders */
export const DEVTOOLS = '/usr/local/lib/firstboot-devtools';
export const CONTEXT7_ROOT = `${DEVTOOLS}/context7`;
export const GSD_ROOT = `${DEVTOOLS}/gsd`;
/** the weekly Nix garbage collection's service and timer */
export const NIX_GC = 'firstboot-nix-gc';
