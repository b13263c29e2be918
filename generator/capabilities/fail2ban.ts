// fail2ban policy: the sshd jail with the user's values, and a recidive jail for addresses that keep
// coming back after their bans end.
import type { Fail2banPlan } from '../../contract/plan';
import type { Capability } from './capability';
import { integer, section } from '../config/dsl';
import { duration, durationSeconds, enabled } from '../config/kinds';

/**
 * python3-systemd: the journal backend imports it (Debian 12/13 have no auth.log), and it is only a
 * recommends of fail2ban. iptables: the ban actions (iptables-multiport/-allports) call it; ufw pulls it
 * in too, but this step must not depend on that.
 */
export const fail2banPackages = ['fail2ban', 'python3-systemd', 'iptables'];

/** The jail values a user sets in firstboot.yaml's fail2ban section; durations as durationSeconds reads them. */
export interface Fail2banOptions {
  sshPort: number;
  bantime: string;
  findtime: string;
  maxretry: number;
}

export function fail2banPlan({ sshPort, bantime, findtime, maxretry }: Fail2banOptions): Fail2banPlan {
  return {
    id: 'fail2ban',
    sshPort,
    bantime,
    bantimeSeconds: durationSeconds(bantime),
    findtime,
    maxretry,
    // jail.conf's own recidive values (1w ban, 1d window) with fail2ban's default maxretry of 5: five bans
    // of any jail within a day means a bot that waits out short bans; a week keeps it out across reboots.
    recidive: { bantime: '1w', findtime: '1d', maxretry: 5 },
  };
}

export const fail2banSection = section(
  {
    enabled: enabled('fail2ban'),
    bantime: duration(
      'How long an address that failed too often is banned (N s, m, h, d or w). A recidive jail bans ' +
        'repeat offenders for a week.',
      '1h',
    ),
    findtime: duration('The window in which failures are counted.', '10m'),
    maxretry: integer({
      doc: 'Failures within findtime that get an address banned.',
      default: 3,
      min: 1,
      max: 100,
    }),
  },
  { doc: 'fail2ban bans addresses that keep failing SSH logins, read from the systemd journal.' },
);

export const fail2ban: Capability<'fail2ban'> = {
  id: 'fail2ban',
  plan: ({ config: { ssh, fail2ban } }) =>
    fail2ban.enabled ? fail2banPlan({ sshPort: ssh.port, ...fail2ban }) : undefined,
  packages: () => fail2banPackages,
};
