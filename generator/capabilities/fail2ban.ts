// fail2ban policy: the sshd jail with the user's values, and a recidive jail for addresses that keep
// coming back after their bans end.
import type { Fail2banPlan } from '../../contract/plan';
import type { Capability } from './capability';

/**
 * python3-systemd: the journal backend imports it (Debian 12/13 have no auth.log), and it is only a
 * recommends of fail2ban. iptables: the ban actions (iptables-multiport/-allports) call it; ufw pulls it
 * in too, but this step must not depend on that.
 */
export const fail2banPackages = ['fail2ban', 'python3-systemd', 'iptables'];

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** A fail2ban duration ("30s", "10m", "1h", "1d", "1w") in seconds; fail2ban's own units for these letters. */
export function durationSeconds(text: string): number {
  const match = /^(\d+)([smhdw])$/.exec(text);
  if (!match) throw new Error(`not a duration: "${text}" (a whole number followed by s, m, h, d or w)`);
  return Number(match[1]) * UNIT_SECONDS[match[2]];
}

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

export const fail2ban: Capability<'fail2ban'> = {
  id: 'fail2ban',
  plan: ({ config: { ssh, fail2ban } }) =>
    fail2ban.enabled ? fail2banPlan({ sshPort: ssh.port, ...fail2ban }) : undefined,
  packages: () => fail2banPackages,
};
