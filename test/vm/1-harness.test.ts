// The harness on its own, with a handwritten cloud-config: cloud-init must take the VM for a
// Hetzner server, fetch our user-data, install from the local repository and let root in by key.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { CLOUD_INIT_FINISHED, withVm } from './scenario';
import { keyPair } from './userdata';

test('stock bookworm boots as a Hetzner server from the fake metadata service', async () => {
  const key = await keyPair();
  const userData = '#cloud-config\nruncmd:\n  - [sh, -c, "echo from-runcmd > /root/marker"]\n';
  await withVm({ name: 'harness', suite: 'bookworm', userData, publicKeys: [readFileSync(key.public, 'utf8').trim()] }, async (vm) => {
    await vm.waitForConsole(CLOUD_INIT_FINISHED, 10 * 60_000);
    console.log(`# harness: power-on to cloud-init finished in ${vm.uptime().toFixed(0)} s`);
    assert.ok(vm.metadataRequests.some((r) => r.startsWith('GET /hetzner/v1/userdata 200')), vm.metadataRequests.join('\n'));

    const root = (cmd: string) => vm.ssh('root', cmd, { key: key.private });
    assert.is((await root('cat /root/marker')).stdout, 'from-runcmd\n');
    const apt = await root('apt-get update -q && apt-get install -q -y --no-install-recommends htop && htop --version');
    assert.is(apt.code, 0, apt.stderr);

    await vm.powerOff();
    assert.is(await vm.readFile('/root/marker'), 'from-runcmd\n');
    assert.is(await vm.readFile('/no/such/file'), undefined);
  });
});

test.run();
