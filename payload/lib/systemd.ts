import type { Shell } from './shell';

export async function isActive($: Shell, unit: string): Promise<boolean> {
  return (await $({ nothrow: true })`systemctl is-active --quiet ${unit}`).ok;
}

export async function isEnabled($: Shell, unit: string): Promise<boolean> {
  return (await $({ nothrow: true })`systemctl is-enabled --quiet ${unit}`).ok;
}

/** Messages for each unit that is not enabled and running. */
export async function unitsDown($: Shell, units: string[]): Promise<string[]> {
  const down: string[] = [];
  for (const unit of units) {
    if (!(await isEnabled($, unit))) down.push(`${unit} is not enabled`);
    if (!(await isActive($, unit))) down.push(`${unit} is not running`);
  }
  return down;
}

/**
 * Enables and starts the units that are not both already, in one call: each `systemctl enable` reloads
 * systemd (seconds on a small server, and every other systemctl call waits for it).
 */
export async function enableNow($: Shell, ...units: string[]): Promise<void> {
  const down: string[] = [];
  for (const unit of units) if (!(await isEnabled($, unit)) || !(await isActive($, unit))) down.push(unit);
  if (down.length) await $`systemctl enable --now ${down}`;
}
