import type { Shell } from './shell';

/** A warning for each real file system more than 90% full (`firstboot check` and the daily report say it). */
export async function diskWarnings($: Shell): Promise<string[]> {
  const df = await $({ nothrow: true })`df -P -x tmpfs -x devtmpfs -x squashfs -x overlay -x efivarfs`;
  return df.stdout
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length >= 6 && parseInt(f[4], 10) > 90)
    .map((f) => `warning: ${f[5]} is ${f[4]} full`);
}
