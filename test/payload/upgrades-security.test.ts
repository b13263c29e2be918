// The upgrades step and the security source: the archive or pocket added where no source names one, with
// its lists fetched; nothing added where apt already sees it; removed again where apt cannot fetch it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { upgrades, SECURITY_SOURCES } from '../../payload/steps/upgrades';
import { stepContext, type TestCtx } from './context';
import { rejects } from '../rejects';
import {
  at4,
  DUMP_AT_4,
  unitsUp,
  BOOKWORM,
  NOBLE,
  debianPolicy,
  UBUNTU_POLICY,
  targets,
  aptHas,
  debianStock,
} from './upgrades-machine';

const updates = (ctx: TestCtx<unknown>) => ctx.$.commands.filter((cmd) => /^apt-get .* update$/.test(cmd));

test(
  'Debian without a security source: ' +
    "its security archive is added, in the main suite's components, and the lists fetched",
  async () => {
    const ctx = stepContext(at4);
    debianStock(ctx);
    aptHas(
      ctx,
      BOOKWORM,
      { before: debianPolicy(false), after: debianPolicy(true) },
      targets(['bookworm', 'bookworm-updates'], ['main', 'non-free-firmware']),
    );
    assert.ok((await upgrades.check(ctx)).includes('apt has no source for bookworm-security'));
    await upgrades.apply(ctx);
    assert.is(
      await ctx.fs.read(SECURITY_SOURCES),
      "# Written by firstboot: debian's security archive, which no other source named. Changes here are undone on " +
        'its next run.\n' +
        'Types: deb\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\n' +
        'Components: main non-free-firmware\n' +
        'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n',
    );
    assert.is((await ctx.fs.stat(SECURITY_SOURCES))?.mode, 0o644);
    assert.is(updates(ctx).length, 1);
    assert.equal(await upgrades.check(ctx), []);
    ctx.$.on('apt-config dump', { stdout: DUMP_AT_4 });
    assert.equal(await upgrades.verify(ctx), []);
  },
);

test(
  'Ubuntu without a security source: ' + "security.ubuntu.com's pocket, signed by the Ubuntu archive keyring",
  async () => {
    const ctx = stepContext(at4);
    debianStock(ctx);
    const withSecurity = UBUNTU_POLICY.replace(
      ' 500 http://archive.ubuntu.com/ubuntu noble-updates',
      ' 500 http://security.ubuntu.com/ubuntu noble-security/main amd64 Packages\n' +
        '     release v=24.04,o=Ubuntu,a=noble-security,n=noble,l=Ubuntu,c=main,b=amd64\n' +
        '     origin security.ubuntu.com\n 500 http://archive.ubuntu.com/ubuntu noble-updates',
    );
    // a custom image's one source, a flat mirror that names no suite: the pocket gets Ubuntu's usual four components
    aptHas(ctx, NOBLE, { before: UBUNTU_POLICY, after: withSecurity }, 'deb ./ $(COMPONENT)\n');
    assert.ok((await upgrades.check(ctx)).includes('apt has no source for noble-security'));
    await upgrades.apply(ctx);
    assert.match(
      (await ctx.fs.read(SECURITY_SOURCES)) ?? '',
      /\nTypes: deb\nURIs: http:\/\/security\.ubuntu\.com\/ubuntu\nSuites: noble-security\nComponents: main restricted universe multiverse\nSigned-By: \/usr\/share\/keyrings\/ubuntu-archive-keyring\.gpg\n$/,
    );
    assert.equal(await upgrades.check(ctx), []);
  },
);

test('a security release apt already sees: nothing written, no apt-get update', async () => {
  const ctx = stepContext(at4);
  debianStock(ctx);
  await upgrades.apply(ctx);
  assert.is(await ctx.fs.read(SECURITY_SOURCES), undefined);
  assert.equal(updates(ctx), []);
});

test('a security source whose lists are stale: no second source, only the lists fetched', async () => {
  const ctx = stepContext(at4);
  debianStock(ctx);
  aptHas(
    ctx,
    BOOKWORM,
    { before: debianPolicy(false), after: debianPolicy(true) },
    targets(['bookworm', 'bookworm-security'], ['main']),
  );
  assert.ok((await upgrades.check(ctx)).includes('apt has a source for bookworm-security but not its package lists'));
  await upgrades.apply(ctx);
  assert.is(await ctx.fs.read(SECURITY_SOURCES), undefined);
  assert.is(updates(ctx).length, 1);
  assert.equal(await upgrades.check(ctx), []);
});

test('verify fails when apt sees no security release, though another Debian release is there', async () => {
  const ctx = stepContext(at4);
  unitsUp(ctx);
  aptHas(ctx, BOOKWORM, { before: debianPolicy(false), after: debianPolicy(false) }, targets(['bookworm'], ['main']));
  ctx.$.on('apt-config dump', { stdout: DUMP_AT_4 });
  assert.equal(await upgrades.verify(ctx), [
    'apt sees no security release for bookworm (bookworm-security): unattended-upgrades has no security updates to ' +
      'install',
  ]);
});

test(
  'a security archive apt cannot fetch: ' +
    'the source is removed again, so later apt runs still work, and apply fails',
  async () => {
    const ctx = stepContext(at4);
    debianStock(ctx);
    aptHas(ctx, BOOKWORM, { before: debianPolicy(false), after: debianPolicy(false) }, targets(['bookworm'], ['main']));
    ctx.$.on(/^apt-get .* update$/, {
      exitCode: 100,
      stderr:
        "E: The repository 'http://deb.debian.org/debian-security bookworm-security Release' does not have a " +
        'Release file.\n',
    });
    await rejects(
      () => upgrades.apply(ctx),
      /does not have a Release file.*; removed \/etc\/apt\/sources\.list\.d\/firstboot-security\.sources again/,
    );
    assert.is(await ctx.fs.read(SECURITY_SOURCES), undefined);
  },
);

test.run();
