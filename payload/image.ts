// Image mode: after a clean run the builder forgets who it was, so every server made from the snapshot
// gets its own machine id, host keys, cloud-init instance and Tailscale node key, then powers off for
// the snapshot.
import type { Machine } from './runner';

const TAILSCALE_STATE = '/var/lib/tailscale/tailscaled.state';

export async function finishImage({ $, fs, log }: Machine): Promise<void> {
  log.info('image mode: clearing per-instance state, then powering off');
  await $`cloud-init clean --logs`;
  await fs.write('/etc/machine-id', '', { mode: 0o444 });
  await fs.remove('/var/lib/dbus/machine-id');
  for (const name of await fs.list('/etc/ssh')) if (name.startsWith('ssh_host_')) await fs.remove(`/etc/ssh/${name}`);
  // tailscaled made its node's keys at its first start; stopped first, so it does not write them again
  if (await fs.stat(TAILSCALE_STATE)) {
    await $`systemctl stop tailscaled.service`;
    await fs.remove(TAILSCALE_STATE);
  }
  await $({ nothrow: true })`journalctl --rotate --vacuum-time=1s`;
  await fs.remove('/var/log/firstboot.log');
  await $`systemctl poweroff --no-block`;
}
