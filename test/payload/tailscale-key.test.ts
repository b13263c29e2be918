// The tailscale step's repository key, checked before apt sees it, and the repository, tried before apt keeps
// it: a key with another fingerprint, a repository the key did not sign, a keyring with another key beside it.
// The key file and apt's signature check on a real repository are in tailscale-repo.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { KEYRING, tailscale } from '../../payload/steps/tailscale';
import { primaryFingerprints } from '../../payload/lib/openpgp';
import { rejects } from '../rejects';
import { keyPacket, KEY, FINGERPRINT, params, LIST, machine } from './tailscale-machine';

test('a key with another fingerprint: refused before apt sees anything', async () => {
  const other = keyPacket();
  const { ctx, m } = machine(params, { served: other });
  await rejects(
    () => tailscale.apply(ctx),
    new RegExp(
      `the key at http://repo.test/tailscale/debian/bookworm.noarmor.gpg is ${primaryFingerprints(other)[0]}, not ` +
        `${FINGERPRINT}`,
    ),
  );
  assert.is(m.keyring, undefined);
  assert.not.ok(ctx.fs.files.has(LIST));
  assert.not.ok(ctx.$.commands.some((c) => c.startsWith('apt-get')));
});

test('a repository its key did not sign: apt refuses it, and no sources list is kept', async () => {
  const { ctx, m } = machine(params, { signed: false });
  await rejects(
    () => tailscale.apply(ctx),
    /apt-get update \(\/run\/firstboot-tailscale.list\) failed \(exit 100\): .*NO_PUBKEY/,
  );
  assert.not.ok(ctx.fs.files.has(LIST));
  assert.not.ok(ctx.fs.files.has('/run/firstboot-tailscale.list'));
  assert.not.ok(m.installed);
});

test('a keyring holding another key beside the pinned one is drift, and is replaced by the checked key', async () => {
  const { ctx, m } = machine({ ...params, tailnetOnly: [] });
  m.keyring = Buffer.concat([KEY, keyPacket()]);
  assert.match(
    (await tailscale.check(ctx))[0],
    new RegExp(`${KEYRING} holds ${FINGERPRINT}, [0-9A-F]{40}, not the key ${FINGERPRINT}`),
  );
  await tailscale.apply(ctx);
  assert.equal(m.keyring, KEY);
});

test('the fingerprint is of the key packet: a changed byte is another key', () => {
  const changed = Buffer.from(KEY);
  changed[changed.length - 1] ^= 1;
  assert.is.not(primaryFingerprints(changed)[0], FINGERPRINT);
  assert.is(
    FINGERPRINT,
    createHash('sha1')
      .update(Buffer.concat([Buffer.from([0x99, 0, KEY.length - 2]), KEY.subarray(2)]))
      .digest('hex')
      .toUpperCase(),
  );
  assert.throws(
    () => primaryFingerprints(Buffer.from('-----BEGIN PGP PUBLIC KEY BLOCK-----')),
    /not an OpenPGP key file/,
  );
  assert.throws(() => primaryFingerprints(KEY.subarray(0, 10)), /ends inside a packet/);
});

test.run();
