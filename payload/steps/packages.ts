// Everything the other steps need, in one apt transaction (lib/apt.ts waits for the dpkg lock, repairs an
// interrupted dpkg and retries network errors).
import type { ExtrasPlan, PackagesPlan, StepId } from '../../contract/plan';
import type { Step } from '../step';
import type { Fs } from '../lib/fs';
import { install, missingPackages } from '../lib/apt';

/** man-db's trigger rebuilds the manual index only while this file exists (its debconf answer makes it) */
const MAN_DB_FLAG = '/var/lib/man-db/auto-update';

/**
 * man-db's trigger re-indexes every manual page after each transaction: about 30 s of a first boot
 * (measured: docs/ARCHITECTURE.md, "Facts about the machines"). It is off for this transaction only:
 * the flag is back afterwards, so the machine stays as Debian left it, and man-db's daily job indexes
 * the new pages.
 */
async function withoutManDbTrigger(fs: Fs, work: () => Promise<void>): Promise<void> {
  const flag = await fs.stat(MAN_DB_FLAG);
  if (flag) await fs.remove(MAN_DB_FLAG);
  try {
    await work();
  } finally {
    if (flag) await fs.write(MAN_DB_FLAG, '', { mode: flag.mode, owner: flag.owner });
  }
}

const notInstalled = (missing: string[]) => (missing.length > 0 ? [`not installed: ${missing.join(', ')}`] : []);

/** Same work for firstboot's own packages and for the user's extras; only the plan entry differs. */
export function packageStep<I extends 'packages' | 'extras'>(id: I, after: StepId[]): Step<I> {
  const wanted = (params: unknown) => (params as PackagesPlan | ExtrasPlan).install;
  return {
    id,
    after,
    async check({ params, $ }) {
      return notInstalled(await missingPackages($, wanted(params)));
    },
    async apply({ params, $, fs, log }) {
      await withoutManDbTrigger(fs, () => install($, log, wanted(params)));
    },
    async verify({ params, $ }) {
      return notInstalled(await missingPackages($, wanted(params)));
    },
  };
}

export const packages = packageStep('packages', []);
