// Packages that follow from choices in the config rather than from a step's own needs.
import type { Capability } from './capability';
import { list, string } from '../config/dsl';
import * as msg from '../config/messages';

/** Debian packages that provide a login shell; bash, sh and dash are always there. */
const SHELL_PACKAGES: Record<string, string> = { zsh: 'zsh', fish: 'fish' };

/** The package providing the admin's login shell, or undefined when the base system has it. */
export function shellPackage(shell: string): string | undefined {
  const name = shell.split('/').pop() ?? '';
  return Object.hasOwn(SHELL_PACKAGES, name) ? SHELL_PACKAGES[name] : undefined;
}

export const packagesField = list(string({ doc: '', expect: msg.expectPackage, pattern: /^[a-z0-9][a-z0-9+.-]+$/ }), {
  doc: "Extra Debian packages to install, in the same apt transaction as firstboot's own.",
  default: [],
});

/** The user's own packages: in prepare's transaction with firstboot's, checked by a step of their own. */
export const extras: Capability<'extras'> = {
  id: 'extras',
  plan: ({ config }) => (config.packages.length > 0 ? { id: 'extras', install: config.packages } : undefined),
};
