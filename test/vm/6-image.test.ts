// `firstboot image` against the fake API: the builder server boots bookworm in image mode, runs the
// payload, forgets who it was and powers itself off; the CLI sees "off" through the API only,
// snapshots it and deletes the builder. The builder's disk must hold no per-instance state.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { withCloud } from './cloud';
import { keyPair } from './userdata';

test(
  'firstboot image: builder runs the payload, clears its identity, powers off; ' + 'snapshot made, builder deleted',
  async () => {
    const key = await keyPair();
    await withCloud({ suite: 'bookworm', key, guestPorts: [22] }, async (cloud) => {
      const start = performance.now();
      const made = await cloud.cli(['image', '--name', 'golden', '--ssh-key', key.public, '--image', 'debian-12']);
      assert.is(made.code, 0, `image exited ${made.code}:\n${made.stderr}`);
      console.log(`# image: snapshot made in ${((performance.now() - start) / 1000).toFixed(0)} s`);

      const imageId = Number(made.stdout.trim());
      const image = cloud.fake.images.get(imageId);
      assert.ok(image, `no image ${imageId} in the fake`);
      assert.is(image!.type, 'snapshot');
      assert.is(image!.description, 'golden');
      assert.ok(image!.labels['firstboot-config'], 'the snapshot has no config hash label');
      assert.is(cloud.fake.servers.size, 0, 'the builder was not deleted');

      const [{ vm }] = cloud.vms;
      assert.not.ok(vm.running, 'the builder is still running');
      const status = JSON.parse((await vm.readFile('/var/lib/firstboot/status.json')) ?? '{}') as { ok?: boolean };
      assert.is(status.ok, true, 'the payload did not finish ok on the builder');
      assert.is(await vm.readFile('/etc/machine-id'), '', 'the machine id survived');
      // what ufw.service reads when a server boots from the snapshot
      assert.match((await vm.readFile('/etc/ufw/ufw.conf')) ?? '', /^ENABLED=yes$/m, 'ufw would boot unfiltered');
      for (const type of ['ed25519', 'rsa', 'ecdsa'])
        assert.is(await vm.readFile(`/etc/ssh/ssh_host_${type}_key`), undefined, `the ${type} host key survived`);
      assert.is(
        await vm.readFile('/var/lib/cloud/instance/user-data.txt'),
        undefined,
        'cloud-init still knows the instance',
      );
      assert.is(await vm.readFile('/var/log/firstboot.log'), undefined, "the builder's log survived");
    });
  },
);

test.run();
