import type { Action } from './types';

/**
 * A failure reported by the Hetzner Cloud API, or by an action it ran. `status` is the HTTP
 * status (0 when the request never got an answer, undefined for a failed action); `code` and
 * `message` are Hetzner's own, so the CLI can show them as they are.
 */
export class HcloudError extends Error {
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
}

/** The user asked for something the API does not offer (a typo in a type or location, a name
 * that is not a firstboot server): a usage problem, not a failure of the API. */
export class HcloudInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HcloudInputError';
  }
}

/**
 * A command failed after it had made something that still exists. The message says what is
 * left and `cleanup` holds the commands that remove it.
 */
export class LeftBehindError extends Error {
  constructor(
    message: string,
    readonly cleanup: string[],
    readonly cause: unknown,
  ) {
    super(`${message}\n${cleanup.map((c) => `  ${c}`).join('\n')}`);
    this.name = 'LeftBehindError';
  }
}
