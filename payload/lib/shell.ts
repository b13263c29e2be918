// The subset of zx's `$` that steps use, so tests can pass a recording shell with the same shape.
import { $ } from 'zx/core';

export interface Output {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  ok: boolean;
}

export interface ShellOptions {
  /** resolve with a failed Output instead of throwing on a non-zero exit */
  nothrow?: boolean;
  /** text written to the command's stdin */
  input?: string;
  /** e.g. '30s'; the command's process tree is killed after it */
  timeout?: string;
  /** shell text before the command, in place of zx's "set -euo pipefail;" */
  prefix?: string;
}

export interface Shell {
  (pieces: TemplateStringsArray, ...args: unknown[]): Promise<Output>;
  (opts: ShellOptions): Shell;
}

/** zx's `$`, quiet (the runner logs), with a PATH that also finds sbin tools under sudo -E or cron. */
export function zxShell(): Shell {
  return $({
    quiet: true,
    env: { ...process.env, PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' },
  }) as unknown as Shell;
}
