import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pam } from '../../payload/steps/pam';
import { stepContext } from './context';

const params = { id: 'pam' as const };

/** Debian 12's /etc/pam.d/common-auth as pam-auth-update writes it (comments shortened) */
const DEBIAN_12 = `#
# /etc/pam.d/common-auth - authentication settings common to all services
#

# here are the per-package modules (the "Primary" block)
auth\t[success=1 default=ignore]\tpam_unix.so nullok
# here's the fallback if no module succeeds
auth\trequisite\t\t\tpam_deny.so
# prime the stack with a positive return value if there isn't one already;
auth\trequired\t\t\tpam_permit.so
# and here are more per-package modules (the "Additional" block)
auth\toptional\t\t\tpam_cap.so 
# end of pam-auth-update config
`;

const MESSAGE = 'pam_unix in /etc/pam.d/common-auth lets accounts with an empty password log in (nullok)';
const WEAK = "/etc/pam.d/common-password does not check new passwords' strength (pam_pwquality)";
/** common-password as libpam-pwquality's install leaves it (pam-auth-update) */
const WITH_PWQUALITY =
  'password\trequisite\t\t\tpam_pwquality.so retry=3\n' +
  'password\t[success=1 default=ignore]\tpam_unix.so obscure use_authtok try_first_pass yescrypt\n';

/** common-session as libpam-tmpdir's install leaves it (its profile is Session-Type: Additional) */
const WITH_TMPDIR =
  'session\trequired\tpam_unix.so \nsession\toptional\tpam_systemd.so \nsession\toptional\tpam_tmpdir.so \n';
const NO_TMPDIR = '/etc/pam.d/common-session gives sessions no private temporary directory (pam_tmpdir)';

/** a server where libpam-pwquality and libpam-tmpdir are installed and enabled, as the packages step leaves it */
function machine() {
  const ctx = stepContext(params);
  ctx.fs.seed('/etc/pam.d/common-password', WITH_PWQUALITY).seed('/etc/pam.d/common-session', WITH_TMPDIR);
  return ctx;
}

test('removes nullok from pam_unix and nothing else, keeping mode and owner', async () => {
  const ctx = machine();
  ctx.fs.seed('/etc/pam.d/common-auth', DEBIAN_12, 0o644);
  assert.equal(await pam.check(ctx), [MESSAGE]);
  await pam.apply(ctx);
  assert.is(await ctx.fs.read('/etc/pam.d/common-auth'), DEBIAN_12.replace('pam_unix.so nullok\n', 'pam_unix.so\n'));
  assert.equal((await ctx.fs.stat('/etc/pam.d/common-auth'))!.mode, 0o644);
  assert.equal(await pam.check(ctx), []);
  assert.equal(await pam.verify(ctx), []);
  assert.equal(ctx.$.commands, []);
});

test('a second run writes nothing', async () => {
  const ctx = machine();
  ctx.fs.seed('/etc/pam.d/common-auth', DEBIAN_12);
  await pam.apply(ctx);
  assert.equal(await pam.check(ctx), []);
  assert.is(ctx.fs.writes.length, 1);
});

test('nullok among other options, a local mode, and nullok on other modules', async () => {
  const ctx = machine();
  const text = [
    'auth\t[success=2 default=ignore]\tpam_unix.so nullok try_first_pass',
    '# auth\trequired\tpam_unix.so nullok',
    'auth\t[success=1 default=ignore]\tpam_sss.so use_first_pass nullok',
    '',
  ].join('\n');
  ctx.fs.seed('/etc/pam.d/common-auth', text, 0o600, 'root:root');
  await pam.apply(ctx);
  assert.is(
    await ctx.fs.read('/etc/pam.d/common-auth'),
    text.replace('pam_unix.so nullok try_first_pass', 'pam_unix.so try_first_pass'),
  );
  assert.is((await ctx.fs.stat('/etc/pam.d/common-auth'))!.mode, 0o600);
});

test('verify reports nullok put back (pam-auth-update --force, a hand edit)', async () => {
  const ctx = machine();
  ctx.fs.seed('/etc/pam.d/common-auth', DEBIAN_12);
  assert.equal(await pam.verify(ctx), [MESSAGE]);
});

test('a system without common-auth has nothing to fix', async () => {
  const ctx = machine();
  assert.equal(await pam.check(ctx), []);
});

test('pam_pwquality taken out of common-password is drift, and pam-auth-update puts it back', async () => {
  const ctx = machine();
  ctx.fs.seed(
    '/etc/pam.d/common-password',
    WITH_PWQUALITY.replace(/^password\trequisite.*\n/, '# pam_pwquality.so was here\n'),
  );
  assert.equal(await pam.check(ctx), [WEAK]);
  ctx.$.on(
    'pam-auth-update --package --enable pwquality',
    () => (ctx.fs.seed('/etc/pam.d/common-password', WITH_PWQUALITY), {}),
  );
  await pam.apply(ctx);
  assert.equal(await pam.verify(ctx), []);
});

test('pam_tmpdir missing from common-session is drift, and pam-auth-update puts it back', async () => {
  const ctx = machine();
  ctx.fs.seed(
    '/etc/pam.d/common-session',
    WITH_TMPDIR.replace('session\toptional\tpam_tmpdir.so', '#session\toptional\tpam_tmpdir.so'),
  );
  assert.equal(await pam.check(ctx), [NO_TMPDIR]);
  ctx.$.on(
    'pam-auth-update --package --enable tmpdir',
    () => (ctx.fs.seed('/etc/pam.d/common-session', WITH_TMPDIR), {}),
  );
  await pam.apply(ctx);
  assert.equal(ctx.$.commands, ['pam-auth-update --package --enable tmpdir']);
  assert.equal(await pam.verify(ctx), []);
});

/** libpwquality-common's pwquality.conf (shortened): every rule a comment, one set locally */
const PWQUALITY_STOCK = `# Configuration for systemwide password quality limits
# Defaults:
#
# minlen = 8
#
# dcredit = 0
minclass = 1
`;

test(
  'password rules: each set once in pwquality.conf, ' +
    'where it was, comments left alone; nothing without the package',
  async () => {
    const ctx = machine();
    ctx.fs
      .seed('/etc/pam.d/common-auth', DEBIAN_12.replace(' nullok', ''))
      .seed('/etc/security/pwquality.conf', PWQUALITY_STOCK, 0o644);
    assert.equal(await pam.check(ctx), ['/etc/security/pwquality.conf differs']);
    await pam.apply(ctx);
    assert.is(
      await ctx.fs.read('/etc/security/pwquality.conf'),
      PWQUALITY_STOCK.replace('minclass = 1', 'minclass = 4') +
        'minlen = 15\ndcredit = -1\nucredit = -1\nlcredit = -1\nocredit = -1\n',
    );
    assert.equal(await pam.check(ctx), []);
    const bare = machine();
    bare.fs.seed('/etc/pam.d/common-auth', DEBIAN_12.replace(' nullok', ''));
    assert.equal(await pam.check(bare), []);
  },
);

test.run();
