// The admin step on a recording shell and an in-memory file system (admin-machine.ts): the admin made with keys
// and sudo before root is locked, an existing account brought back, verify, and the console password.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { admin } from '../../payload/steps/admin';
import { stepContext } from './context';
import { rejects } from '../rejects';
import {
  KEYS,
  params,
  SUDOERS,
  ROOT_HASH,
  edit,
  append,
  stockMachine,
  shadowOf,
  liveTools,
  passwordTools,
} from './admin-machine';

test('creates the admin with keys, sudo and no password, then locks root', async () => {
  const ctx = stockMachine();
  assert.equal(await admin.check(ctx), [
    'user fx does not exist',
    `${SUDOERS} is missing`,
    '/etc/sudoers.d has mode 755, wants 750 or stricter',
    'root can log in with a password',
  ]);
  await admin.apply(ctx);
  assert.is((await ctx.fs.stat('/etc/sudoers.d'))!.mode, 0o750);
  assert.match((await ctx.fs.read(SUDOERS))!, /^Defaults ignore_dot\nDefaults umask=0077\n/m);
  assert.equal(ctx.$.commands, [
    'useradd --create-home --shell /usr/bin/zsh --user-group fx',
    'usermod --password * fx',
    'visudo -cf -',
    'passwd -l root',
  ]);
  assert.is(ctx.$.inputs.get(2), await ctx.fs.read(SUDOERS), 'visudo checked what was written');
  assert.is(await ctx.fs.read('/home/fx/.ssh/authorized_keys'), `${KEYS[0]}\n${KEYS[1]}\n`);
  assert.equal(await ctx.fs.stat('/home/fx/.ssh/authorized_keys'), {
    mode: 0o600,
    owner: 'fx:fx',
    isDirectory: false,
    isSymlink: false,
  });
  assert.equal(await ctx.fs.stat('/home/fx/.ssh'), {
    mode: 0o700,
    owner: 'fx:fx',
    isDirectory: true,
    isSymlink: false,
  });
  assert.equal(await ctx.fs.stat('/home/fx'), { mode: 0o750, owner: 'fx:fx', isDirectory: true, isSymlink: false });
  const sudoers = (await ctx.fs.read(SUDOERS))!;
  assert.match(sudoers, /^# Written by firstboot/);
  assert.ok(sudoers.endsWith('\nfx ALL=(ALL) NOPASSWD:ALL\n'));
  assert.equal(await ctx.fs.stat(SUDOERS), { mode: 0o440, owner: 'root:root', isDirectory: false, isSymlink: false });
  assert.is(shadowOf(ctx, 'fx'), '*');
  assert.is(shadowOf(ctx, 'root'), '!' + ROOT_HASH);
  assert.equal(await admin.check(ctx), []);
});

test("a home others can read or the group can write is closed to 750 or stricter, the owner's bits kept", async () => {
  const ctx = stockMachine();
  append(ctx, '/etc/passwd', 'fx:x:1001:100:FX:/srv/fx:/usr/bin/zsh');
  append(ctx, '/etc/group', 'users:x:100:');
  ctx.fs.files.set('/srv/fx', { dir: true, mode: 0o775, owner: 'fx:users' });
  assert.ok((await admin.check(ctx)).includes('/srv/fx has mode 775, wants 750 or stricter'));
  await admin.apply(ctx);
  assert.is((await ctx.fs.stat('/srv/fx'))!.mode, 0o750);
  ctx.fs.files.set('/srv/fx', { dir: true, mode: 0o700, owner: 'fx:users' });
  assert.not.ok(
    (await admin.check(ctx)).some((d) => d.startsWith('/srv/fx has mode')),
    'a stricter home is left as it is',
  );
});

test('root is locked only after the admin has keys and sudo', async () => {
  const ctx = stockMachine();
  let adminReady: boolean | undefined;
  ctx.$.on('passwd -l root', () => {
    adminReady =
      ctx.fs.files.has(SUDOERS) &&
      ctx.fs.files.get('/home/fx/.ssh/authorized_keys')?.content === `${KEYS[0]}\n${KEYS[1]}\n`;
    return {};
  });
  await admin.apply(ctx);
  assert.is(adminReady, true);
});

test('a second run changes nothing', async () => {
  const ctx = stockMachine();
  await admin.apply(ctx);
  const writes = ctx.fs.writes.length;
  const commands = ctx.$.commands.length;
  assert.equal(await admin.check(ctx), []);
  await admin.apply(ctx);
  assert.is(ctx.fs.writes.length, writes);
  assert.is(ctx.$.commands.length, commands);
});

test('an existing account is brought back: shell, password, keys, modes, owners', async () => {
  const ctx = stockMachine();
  append(ctx, '/etc/passwd', 'fx:x:1001:100:FX:/srv/fx:/bin/sh');
  append(ctx, '/etc/group', 'users:x:100:');
  append(ctx, '/etc/shadow', 'fx:!$y$j9T$abc$def:19800:0:99999:7:::');
  ctx.fs.files.set('/srv/fx/.ssh', { dir: true, mode: 0o755, owner: 'root:root' });
  ctx.fs.seed('/srv/fx/.ssh/authorized_keys', `${KEYS[0]}\nssh-rsa AAAAB3NzaC1yc2E old@box\n`, 0o644, 'fx:users');
  // start files as skel gives them, one the group may change; a
  // private file, another dotfile and a link stay as they are
  ctx.fs.seed('/srv/fx/.profile', '# ~/.profile\n', 0o644, 'fx:users');
  ctx.fs.seed('/srv/fx/.bashrc', '# ~/.bashrc\n', 0o660, 'fx:users');
  ctx.fs.seed('/srv/fx/.lesshst', '', 0o600, 'fx:users');
  ctx.fs.seed('/srv/fx/.sudo_as_admin_successful', '', 0o644, 'fx:users');
  ctx.fs.files.set('/srv/fx/.nix-profile', {
    link: '/nix/var/nix/profiles/per-user/fx/profile',
    mode: 0o777,
    owner: 'fx:users',
  });
  assert.equal(await admin.check(ctx), [
    "fx's shell is /bin/sh, wants /usr/bin/zsh",
    'fx\'s password is locked with "!" (sshd refuses its keys without PAM), wants none ("*")',
    '/srv/fx/.ssh has mode 755, wants 700',
    '/srv/fx/.ssh is owned by root:root, wants fx:users',
    '/srv/fx/.ssh/authorized_keys differs',
    '/srv/fx/.ssh/authorized_keys has mode 0644, wants 0600',
    `${SUDOERS} is missing`,
    '/srv/fx/.profile has mode 644, wants 740 or stricter',
    '/srv/fx/.bashrc has mode 660, wants 740 or stricter',
    '/etc/sudoers.d has mode 755, wants 750 or stricter',
    'root can log in with a password',
  ]);
  await admin.apply(ctx);
  assert.not.ok(ctx.$.commands.some((cmd) => cmd.startsWith('useradd')));
  assert.ok(ctx.$.commands.includes('usermod --shell /usr/bin/zsh fx'));
  assert.is(await ctx.fs.read('/srv/fx/.ssh/authorized_keys'), `${KEYS[0]}\n${KEYS[1]}\n`);
  assert.is((await ctx.fs.stat('/srv/fx/.ssh'))!.owner, 'fx:users');
  assert.is((await ctx.fs.stat('/srv/fx/.profile'))!.mode, 0o640);
  assert.is((await ctx.fs.stat('/srv/fx/.bashrc'))!.mode, 0o640);
  assert.is((await ctx.fs.stat('/srv/fx/.lesshst'))!.mode, 0o600);
  // sudo makes its marker for members of group sudo at their first sudo, after any run: not a start file
  assert.is((await ctx.fs.stat('/srv/fx/.sudo_as_admin_successful'))!.mode, 0o644);
  assert.equal(await admin.check(ctx), []);
});

test('a user edit to the sudoers file is put back; a root without a password is left alone', async () => {
  const ctx = stockMachine();
  await admin.apply(ctx);
  ctx.fs.seed(SUDOERS, 'fx ALL=(ALL) ALL\n', 0o644);
  edit(ctx, '/etc/shadow', 'root', (f) => (f[1] = '*'));
  assert.equal(await admin.check(ctx), [`${SUDOERS} differs`, `${SUDOERS} has mode 0644, wants 0440`]);
  await admin.apply(ctx);
  assert.match((await ctx.fs.read(SUDOERS))!, /\nfx ALL=\(ALL\) NOPASSWD:ALL\n$/);
  assert.is(ctx.$.commands.filter((cmd) => cmd === 'passwd -l root').length, 1);
  assert.equal(await admin.check(ctx), []);
});

test('a failing useradd fails the step clearly, before anything is written or locked', async () => {
  const ctx = stockMachine();
  ctx.$.on(/^useradd /, {
    stderr: 'useradd: group fx exists - if you want to add this user to that group, use -g.\n',
    exitCode: 9,
  });
  await rejects(() => admin.apply(ctx), /useradd fx failed \(exit 9\): useradd: group fx exists/);
  assert.equal(ctx.fs.writes, []);
  assert.not.ok(ctx.$.commands.includes('passwd -l root'));
});

test('a sudoers rule visudo rejects is never put in place, and root stays as it was', async () => {
  const ctx = stockMachine();
  ctx.$.on('visudo -cf -', {
    stderr: 'stdin:2:26: syntax error\nfx ALL=(ALL) NOPASSWD ALL\n                         ^~~\n',
    exitCode: 1,
  });
  await rejects(() => admin.apply(ctx), /90-firstboot-fx would not parse, not written: stdin:2:26: syntax error/);
  assert.is(await ctx.fs.stat(SUDOERS), undefined);
  assert.is(shadowOf(ctx, 'root'), ROOT_HASH);
});

test('verify is empty for a working admin', async () => {
  const ctx = stepContext(params);
  liveTools(ctx);
  assert.equal(await admin.verify(ctx), []);
});

test('verify reports what would keep the admin out or leave a password way in', async () => {
  const ctx = stepContext(params);
  liveTools(ctx);
  ctx.$.on('test -x /usr/bin/zsh', { exitCode: 1 })
    .on('ssh-keygen -l -f /home/fx/.ssh/authorized_keys', {
      stdout: '256 SHA256:Jw3DXoVYb3d6nY0xVbT7l4E5bJ0Gd7XlVQfT2b0mR9c me@laptop (ED25519)\n',
    })
    .on('sudo -l -U fx', { stdout: 'User fx is not allowed to run sudo on dev1.\n' })
    .on('passwd -S fx', { stdout: 'fx P 2024-10-05 0 99999 7 -1\n' })
    .on('passwd -S root', { stdout: 'root NP 2024-10-05 0 99999 7 -1\n' });
  assert.equal(await admin.verify(ctx), [
    "fx's shell /usr/bin/zsh is not executable: sshd refuses the login",
    '/home/fx/.ssh/authorized_keys has 1 usable keys, wants 2',
    'sudo does not let fx run everything without a password',
    'fx can log in with a password (passwd -S: P)',
    'root can log in with a password (passwd -S: NP)',
  ]);
});

test('verify: a sudo rule that asks for a password is not enough; a missing user is reported once', async () => {
  const ctx = stepContext(params);
  liveTools(ctx);
  ctx.$.on('sudo -l -U fx', { stdout: 'User fx may run the following commands on dev1:\n    (ALL : ALL) ALL\n' });
  assert.equal(await admin.verify(ctx), ['sudo does not let fx run everything without a password']);
  ctx.$.on('getent passwd fx', { exitCode: 2 });
  assert.equal(await admin.verify(ctx), ['user fx does not exist']);
});

test(
  'a console password from its secret: ' + 'set through stdin, checked through stdin, never on a command line',
  async () => {
    const ctx = stockMachine({ ...params, password: 'console' });
    passwordTools(ctx);
    await ctx.fs.write('/var/lib/firstboot/secrets/console', 'correct horse battery', { mode: 0o600 });
    await admin.apply(ctx);
    assert.is(shadowOf(ctx, 'fx'), '$fake$correct horse battery');
    assert.ok(ctx.$.commands.includes('chpasswd'));
    assert.not.ok(
      ctx.$.commands.some((c) => c.includes('correct horse')),
      'the password is on a command line',
    );
    assert.equal(await admin.check(ctx), []);
    // a new value in the secret is drift; the old password is replaced
    await ctx.fs.write('/var/lib/firstboot/secrets/console', 'another long password', { mode: 0o600 });
    assert.equal(await admin.check(ctx), ["fx's console password is not the one in secret console"]);
    await admin.apply(ctx);
    assert.is(shadowOf(ctx, 'fx'), '$fake$another long password');
  },
);

test('a console password whose secret is not given yet: no drift for it, and no password set', async () => {
  const ctx = stockMachine({ ...params, password: 'console' });
  passwordTools(ctx);
  await admin.apply(ctx);
  assert.not.ok(ctx.$.commands.includes('chpasswd'));
  assert.equal(await admin.check(ctx), []);
  // without the option, the password the secret set is taken away again
  edit(ctx, '/etc/shadow', 'fx', (f) => (f[1] = '$fake$old'));
  const plain = { ...ctx, params };
  assert.equal(await admin.check(plain), [`fx's password is set, wants none ("*")`]);
});

test(
  'a console password in the secret file that breaks ' + "the config's rules is never set, and the step says so",
  async () => {
    for (const [value, rule] of [
      ['abc', /at least 12 characters, got 3; not set$/],
      ['twelve chars\nplus a line', /no line breaks or other control characters; not set$/],
    ] as const) {
      const ctx = stockMachine({ ...params, password: 'console' });
      passwordTools(ctx);
      await ctx.fs.write('/var/lib/firstboot/secrets/console', value, { mode: 0o600 });
      await admin.apply(ctx);
      assert.not.ok(ctx.$.commands.includes('chpasswd'), 'the password was set');
      assert.not.match(shadowOf(ctx, 'fx') ?? '', /^\$fake/);
      assert.equal(await admin.check(ctx), []);
      liveTools(ctx);
      const problems = await admin.verify(ctx);
      assert.is(problems.length, 1, problems.join('; '));
      assert.match(problems[0], /^secret console is the admin's console password \(admin\.password\): /);
      assert.match(problems[0], rule);
      assert.not.ok(problems[0].includes(value), 'the value is quoted');
    }
  },
);

test.run();
