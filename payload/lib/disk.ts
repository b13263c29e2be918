import type { Shell } from './shell';

/** df's options that leave out file systems in memory, snaps' images, containers' layers and EFI variables */
export const REAL_FILE_SYSTEMS = ['-x', 'tmpfs', '-x', 'devtmpfs', '-x', 'squashfs', '-x', 'overlay', '-x', 'efivarfs'];

/** A warning for each real file system more than 90% full (`firstboot check` and the daily report say it). */
export async function diskWarnings($: Shell): Promise<string[]> {
  const df = await $({ nothrow: true })`df -P ${REAL_FILE_SYSTEMS}`;
  return df.stdout
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length >= 6 && parseInt(f[4], 10) > 90)
    .map((f) => `warning: ${f[5]} is ${f[4]} full`);
}
