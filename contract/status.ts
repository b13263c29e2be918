// The payload's record of a run (/var/lib/firstboot/status.json), as the CLI reads it back.
import type { StepId } from './plan';

/**
 * How the tailscale step's "waiting" begins while public SSH waits for the owner's login through the
 * tailnet name: apply looks for it.
 */
export const TAILNET_LOGIN_PENDING = 'a login through the tailnet name';

/**
 * How a step's "waiting" begins while its code is still to be fetched (payload/pieces.ts):
 * create --wait then runs apply, which sends it all.
 */
export const PIECES_PENDING = "firstboot's pieces from";

/**
 * waiting: converged but for a secret not given yet, or the owner's login through the tailnet (the step
 * says which); not a failure
 */
export type Result = 'ok' | 'changed' | 'waiting' | 'failed' | 'skipped';

export interface StepStatus {
  id: StepId;
  result: Result;
  seconds: number;
  /** what check found before apply */
  drift?: string[];
  /** why it failed or was skipped */
  error?: string;
}

export interface Status {
  firstboot: string;
  configHash: string;
  started: string;
  finished?: string;
  ok?: boolean;
  /** why the run could not start (a pinned npm package not fetched); no step ran */
  error?: string;
  steps: StepStatus[];
}

/** One step's line, the same in the journal, `firstboot status` and the CLI's summary. */
export function statusLine(s: Pick<StepStatus, 'id' | 'result' | 'seconds' | 'error'>): string {
  return `${s.id.padEnd(10)} ${s.result.padEnd(8)} ${s.seconds.toFixed(1)}s${s.error ? `  ${s.error}` : ''}`;
}

const resultLine = (r: { id: string; problems: string[] }, word: string) =>
  `${r.id.padEnd(10)} ${r.problems.length ? `${word}  ${r.problems.join('; ')}` : 'ok'}`;
/** One step's line in `firstboot check` and the daily report: ok, or what fails. */
export const checkLine = (r: { id: StepId; problems: string[] }) => resultLine(r, 'FAIL');
/** The same for `apply --check`, which compares a server with a plan it may never have had. */
export const driftLine = (r: { id: string; problems: string[] }) => resultLine(r, 'DIFFERS');
