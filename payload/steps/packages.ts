// Everything the other steps need, in one apt transaction (lib/apt.ts waits for the dpkg lock, repairs an
// interrupted dpkg and retries network errors).
import type { ExtrasPlan, PackagesPlan, StepId } from '../../contract/plan';
import type { Step } from '../step';
import type { Shell } from '../lib/shell';
import type { Fs } from '../lib/fs';
import { install, missingPackages } from '../lib/apt';

const MAN_DB_AUTO_UPDATE = 'man-db man-db/auto-update boolean false\n';
/** man-db's trigger rebuilds the manual index only while this file exists (the debconf answer writes it) */
const MAN_DB_FLAG = '/var/lib/man-db/auto-update';

/**
 * man-db's trigger re-indexes every manual page after each transaction: about 30 s of a first boot
 * (DESIGN.md, measured). The debconf answer keeps it off across man-db upgrades; removing the flag
 * file takes effect now, without a dpkg-reconfigure.
 */
async function manDbTriggerOff($: Shell, fs: Fs): Promise<void> {
  const answers = await $({ nothrow: true })`debconf-show man-db`;
  if (!/man-db\/auto-update: false/.test(answers.stdout)) await $({ input: MAN_DB_AUTO_UPDATE })`debconf-set-selections`;
  if (await fs.stat(MAN_DB_FLAG)) await fs.remove(MAN_DB_FLAG);
}

const notInstalled = (missing: string[]) => (missing.length > 0 ? [`not installed: ${missing.join(', ')}`] : []);

/** Same work for firstboot's own packages and for the user's extras; only the plan entry differs. */
export function packageStep<I extends 'packages' | 'extras'>(id: I, title: string, after: StepId[]): Step<I> {
  const wanted = (params: unknown) => (params as PackagesPlan | ExtrasPlan).install;
  return {
    id,
    title,
    after,
    async check({ params, $ }) {
      return notInstalled(await missingPackages($, wanted(params)));
    },
    async apply({ params, $, fs, log }) {
      await manDbTriggerOff($, fs);
      await install($, log, wanted(params));
    },
    async verify({ params, $ }) {
      return notInstalled(await missingPackages($, wanted(params)));
    },
  };
}

export const packages = packageStep('packages', 'packages', []);
