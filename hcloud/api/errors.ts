import { Fail } from '../../contract/fail';
import type { Action } from './types';

/**
 * A failure reported by the Hetzner Cloud API, or by an action it ran. `status` is the HTTP
 * status (0 when the request never got an answer, undefined for a failed action); `code` and
 * `message` are Hetzner's own, so the CLI can show them as they are.
 */
export class HcloudError extends Fail {
  readonly status: number | undefined;
  readonly code: string;
  readonly details: Record<string, unknown> | null;
  readonly action: Action | undefined;

  constructor(init: {
    status?: number;
    code: string;
    message: string;
    details?: Record<string, unknown> | null;
    action?: Action;
  }) {
    super(init.message);
    this.name = 'HcloudError';
    this.status = init.status;
    this.code = init.code;
    this.details = init.details ?? null;
    this.action = init.action;
  }

  override describe(): string {
    return `error: ${this.code}: ${this.message}`;
  }
}

/**
 * A command failed after it had made something that still exists. The message says what is
 * left and `cleanup` holds the commands that remove it.
 */
export class LeftBehindError extends Fail {
  constructor(
    message: string,
    readonly cleanup: string[],
    cause: unknown,
  ) {
    super(`${message}\n${cleanup.map((c) => `  ${c}`).join('\n')}`, 1, { cause });
    this.name = 'LeftBehindError';
  }
}
