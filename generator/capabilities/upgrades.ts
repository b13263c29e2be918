// Unattended upgrades. The origins (the distribution's own plus the security pockets) and the clean-up
// settings are fixed in the step (payload/steps/upgrades.ts); the one choice is when, if ever, the
// server reboots by itself.
import type { UpgradesPlan } from '../../contract/plan';
import type { Capability } from './capability';
import { either, literal, section } from '../config/dsl';
import { enabled, timeOfDay } from '../config/kinds';

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

export const upgradesSection = section(
  {
    enabled: enabled('automatic security upgrades (unattended-upgrades)'),
    reboot: either(timeOfDay({ doc: '' }), literal(false, 'never reboot by itself'), {
      doc:
        'When an upgrade needs a reboot: the time of day to reboot ("HH:MM", quoted, in the server\'s time ' +
        'zone), or false to never reboot by itself (then reboot yourself, or a patched kernel never runs).',
      default: '04:00',
    }),
  },
  {
    doc:
      "Security upgrades from Debian and Ubuntu, installed every day, on top of what the distribution's own " +
      "unattended-upgrades takes (Debian's point releases). Where apt has no source for the distribution's " +
      'security archive (a minimal or custom image), firstboot adds it in ' +
      '/etc/apt/sources.list.d/firstboot-security.sources, and `firstboot check` fails while apt sees no ' +
      'security release.',
  },
);

export const upgrades: Capability<'upgrades'> = {
  id: 'upgrades',
  plan: ({ config }) => (config.upgrades.enabled ? upgradesPlan({ reboot: config.upgrades.reboot }) : undefined),
  packages: () => upgradesPackages,
};
