// Image mode: after a clean run the builder forgets who it was, so every server made from the snapshot
// gets its own machine id, host keys and cloud-init instance, then powers off for the snapshot.
import type { Machine } from './runner';

export async function finishImage({ $, fs, log }: Machine): Promise<void> {
  log.info('image mode: clearing per-instance state, then powering off');
  await $`cloud-init clean --logs`;
  await fs.write('/etc/machine-id', '', { mode: 0o444 });
  await fs.remove('/var/lib/dbus/machine-id');
  for (const name of await fs.list('/etc/ssh')) if (name.startsWith('ssh_host_')) await fs.remove(`/etc/ssh/${name}`);
  await $({ nothrow: true })`journalctl --rotate --vacuum-time=1s`;
  await fs.remove('/var/log/firstboot.log');
  await $`systemctl poweroff --no-block`;
}
