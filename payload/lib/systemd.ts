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

export async function enableNow($: Shell, unit: string): Promise<void> {
  await $`systemctl enable --now ${unit}`;
}
