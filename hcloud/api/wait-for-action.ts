import { HcloudError } from './errors';
import type { Action } from './types';

export interface WaitOptions {
  /** Called after every poll, e.g. to print "create_image 40%" on stderr. */
  onProgress?: (action: Action) => void;
  intervalMs?: number;
  /** Give up after this long; image creation can take many minutes. */
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

const defaultTimeoutMs = 30 * 60_000;

export async function waitForAction(
  getAction: (id: number) => Promise<Action>,
  start: Action | number,
  options: WaitOptions,
): Promise<Action> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = options.now ?? Date.now;
  const deadline = now() + (options.timeoutMs ?? defaultTimeoutMs);
  let action = typeof start === 'number' ? await getAction(start) : start;
  for (;;) {
    options.onProgress?.(action);
    if (action.status === 'success') return action;
    if (action.status === 'error') {
      throw new HcloudError({
        code: action.error?.code ?? 'action_failed',
        message: `${action.command} failed: ${action.error?.message ?? 'no reason given'}`,
        action,
      });
    }
    if (now() > deadline) {
      throw new HcloudError({
        code: 'timeout',
        message:
          `${action.command} still running ` + `after ${Math.round((options.timeoutMs ?? defaultTimeoutMs) / 1000)} s`,
        action,
      });
    }
    await sleep(options.intervalMs ?? 500);
    action = await getAction(action.id);
  }
}
