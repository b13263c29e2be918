// Small pieces the commands share.
import type { HcloudClient } from './api/client';
import { HcloudError } from './api/errors';
import type { Action } from './api/types';

/** Progress lines like "create_image 40%", one per change. */
export function progress(report: (message: string) => void): (action: Action) => void {
  let last = -1;
  return (action) => {
    if (action.progress === last) return;
    last = action.progress;
    report(`${action.command} ${action.progress}%`);
  };
}

/** Whether a server is still there after something failed: decides between undo and "left behind". */
export async function exists(client: HcloudClient, id: number): Promise<boolean> {
  return client.servers.get(id).then(
    () => true,
    (error) => !(error instanceof HcloudError && error.status === 404),
  );
}

/** Runs undo steps newest first; each is tried even if an earlier one fails. */
export async function undoAll(undo: (() => Promise<unknown>)[]): Promise<void> {
  for (const step of undo.reverse()) await step().catch(() => {});
}
