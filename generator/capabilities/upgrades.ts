// Unattended upgrades. The origins (the distribution's own plus the security pockets) and the clean-up
// settings are fixed in the step (payload/steps/upgrades.ts); the one choice is when, if ever, the
// server reboots by itself.
import type { UpgradesPlan } from '../../contract/plan';
import type { Capability } from './capability';

/** --no-install-recommends is fine: its one recommends, systemd-sysv, is on every image */
export const upgradesPackages = ['unattended-upgrades'];

export interface UpgradesOptions {
  /**
   * "HH:MM" (server time, see the timezone step): a kernel or libc update that needs a reboot gets it
   * then, as the original's 04:00 did; false: never reboot by itself, /run/reboot-required says when one
   * is due
   */
  reboot: string | false;
}

export function upgradesPlan({ reboot }: UpgradesOptions): UpgradesPlan {
  return { id: 'upgrades', reboot };
}

export const upgrades: Capability<'upgrades'> = {
  id: 'upgrades',
  plan: ({ config }) => (config.upgrades.enabled ? upgradesPlan({ reboot: config.upgrades.reboot }) : undefined),
  packages: () => upgradesPackages,
};
