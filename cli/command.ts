// The shape of a CLI command, shared by cli.ts and the Hetzner Cloud commands' table.
import type { ParseArgsConfig } from 'node:util';

/** Bad arguments: the CLI prints the command's usage and exits 2. */
export class UsageError extends Error {}

export interface Command {
  summary: string;
  usage: string;
  options: ParseArgsConfig['options'];
  run(values: Record<string, any>, positionals: string[]): Promise<number>;
}

export const CONFIG_OPTIONS = {
  config: { type: 'string', short: 'c' },
  'ssh-key': { type: 'string', multiple: true },
} as const satisfies ParseArgsConfig['options'];

export const CONFIG_HELP = `  -c, --config FILE    firstboot.yaml (built-in defaults when absent)
      --ssh-key PATH   also authorise this public key for the admin (repeatable)`;
