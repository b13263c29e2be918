import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { finishImage } from '../../payload/image';
import { makeLog } from '../../payload/lib/log';
import { memoryFs } from '../fakes/fs';
import { recordingShell } from '../fakes/shell';

test('image mode forgets the instance (cloud-init, machine id, host keys, logs), then powers off', async () => {
  const fs = memoryFs()
    .seed('/etc/machine-id', '0123456789abcdef\n', 0o444)
    .seed('/var/lib/dbus/machine-id', '0123456789abcdef\n')
    .seed('/etc/ssh/ssh_host_ed25519_key', 'PRIVATE', 0o600)
    .seed('/etc/ssh/ssh_host_ed25519_key.pub', 'PUBLIC')
    .seed('/etc/ssh/sshd_config', 'Include /etc/ssh/sshd_config.d/*.conf\n')
    .seed('/var/log/firstboot.log', 'lines\n', 0o600);
  const $ = recordingShell()
    .on('cloud-init clean --logs', {})
    .on('journalctl --rotate --vacuum-time=1s', {
      stderr: 'Vacuuming done, freed 0B of archived journals from /var/log/journal/0123456789abcdef.\n',
    })
    .on('systemctl poweroff --no-block', {}); // queues the power-off and returns at once
  await finishImage({ $, fs, log: makeLog(() => {}) });
  assert.is(await fs.read('/etc/machine-id'), '', 'empty, so systemd makes a new one at the next boot');
  assert.not.ok(fs.files.has('/var/lib/dbus/machine-id'));
  assert.equal(await fs.list('/etc/ssh'), ['sshd_config']);
  assert.not.ok(fs.files.has('/var/log/firstboot.log'));
  assert.equal($.commands, [
    'cloud-init clean --logs',
    'journalctl --rotate --vacuum-time=1s',
    'systemctl poweroff --no-block',
  ]);
});

test('an image with Tailscale: tailscaled stopped and its node keys gone, so no two servers share them', async () => {
  const fs = memoryFs()
    .seed('/etc/machine-id', 'x\n', 0o444)
    .seed('/var/lib/tailscale/tailscaled.state', '{"_machinekey":"privkey:..."}', 0o600);
  const $ = recordingShell()
    .on('cloud-init clean --logs', {})
    .on('systemctl stop tailscaled.service', {})
    .on(/^journalctl /, {})
    .on('systemctl poweroff --no-block', {});
  await finishImage({ $, fs, log: makeLog(() => {}) });
  assert.not.ok(fs.files.has('/var/lib/tailscale/tailscaled.state'));
  assert.ok(
    $.commands.indexOf('systemctl stop tailscaled.service') < $.commands.indexOf('systemctl poweroff --no-block'),
  );
});

test.run();
