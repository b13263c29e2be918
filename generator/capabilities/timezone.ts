// The server's timezone, which the upgrades step's reboot time is read in.
import type { Capability } from './capability';

export const timezone: Capability<'timezone'> = {
  id: 'timezone',
  plan: ({ config }) => ({ id: 'timezone', timezone: config.timezone }),
  // the zone database: minimal images (mmdebstrap --variant=apt) have none, not even Etc/UTC
  packages: () => ['tzdata'],
};
