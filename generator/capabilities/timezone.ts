// The server's timezone, which the upgrades step's reboot time is read in.
import type { Capability } from './capability';
import { string } from '../config/dsl';
import * as msg from '../config/messages';

function timezoneProblem(zone: string): string | undefined {
  // Intl also takes offsets (+01:00) and ignores case; the server needs a file under /usr/share/zoneinfo.
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(zone)) return msg.unknownTimezone(zone);
  let canonical: string;
  try {
    canonical = new Intl.DateTimeFormat('en', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return msg.unknownTimezone(zone);
  }
  if (canonical !== zone && canonical.toLowerCase() === zone.toLowerCase()) return msg.timezoneCase(zone, canonical);
  return undefined;
}

export const timezoneField = string({
  doc:
    'The system time zone, an IANA name. UTC keeps logs comparable across servers; set your own zone if you ' +
    'read the logs by local time.',
  default: 'Etc/UTC',
  expect: msg.expectTimezone,
  pattern: /^[A-Za-z][A-Za-z0-9_+\-/]*$/,
  check: timezoneProblem,
});

export const timezone: Capability<'timezone'> = {
  id: 'timezone',
  plan: ({ config }) => ({ id: 'timezone', timezone: config.timezone }),
  // the zone database: minimal images (mmdebstrap --variant=apt) have none, not even Etc/UTC
  packages: () => ['tzdata'],
};
