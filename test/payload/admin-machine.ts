// What the admin step's tests share: the plan, Debian 12's account tools acting on the in-memory /etc files,
// a fresh Hetzner server, a converged one, and the console password's tools.
import { stepContext, type TestCtx } from './context';
import type { AdminPlan } from '../../contract/plan';

export const KEYS = [
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl me@laptop',
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHBtc2xlZXAgcGxlYXNlIGtlZXAgdGhpcyBmaXhlZA ci',
];

export const params: AdminPlan = { id: 'admin', name: 'fx', shell: '/usr/bin/zsh', keys: KEYS };

export const SUDOERS = '/etc/sudoers.d/90-firstboot-fx';

export const ROOT_HASH = '$y$j9T$3OGrvsAfTfYk1gYtZ8vjR.$2b0tCp8q6qE1l7mC8fT2a1Qy3Rg0dG9P8fO9Ew1vUm5';

export type Ctx = TestCtx<AdminPlan>;

export const table = (ctx: Ctx, file: string) =>
  (ctx.fs.files.get(file)?.content ?? '')
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(':'));

export function edit(ctx: Ctx, file: string, name: string, change: (fields: string[]) => void) {
  const rows = table(ctx, file);
  const row = rows.find(([n]) => n === name);
  if (!row) return false;
  change(row);
  ctx.fs.files.get(file)!.content = rows.map((r) => r.join(':') + '\n').join('');
  return true;
}

export const append = (ctx: Ctx, file: string, line: string) => (ctx.fs.files.get(file)!.content += line + '\n');

/** Debian 12's useradd, usermod and passwd, acting on the in-memory /etc files */
export function accountTools(ctx: Ctx) {
  ctx.$.on(/^useradd /, (cmd) => {
    const words = cmd.split(' ');
    const name = words.at(-1)!;
    const shell = words[words.indexOf('--shell') + 1];
    if (table(ctx, '/etc/passwd').some(([n]) => n === name))
      return { stderr: `useradd: user '${name}' already exists\n`, exitCode: 9 };
    append(ctx, '/etc/passwd', `${name}:x:1000:1000::/home/${name}:${shell}`);
    append(ctx, '/etc/group', `${name}:x:1000:`);
    append(ctx, '/etc/shadow', `${name}:!:20000:0:99999:7:::`);
    // Debian 12's useradd: 0755, from UMASK 022 with no HOME_MODE in login.defs
    ctx.fs.files.set(`/home/${name}`, { dir: true, mode: 0o755, owner: `${name}:${name}` });
    return {};
  });
  ctx.$.on(/^usermod --shell /, (cmd) => {
    const [, , shell, name] = cmd.split(' ');
    edit(ctx, '/etc/passwd', name, (f) => (f[6] = shell));
    return {};
  });
  ctx.$.on(/^usermod --password /, (cmd) => {
    const [, , password, name] = cmd.split(' ');
    edit(ctx, '/etc/shadow', name, (f) => (f[1] = password));
    return {};
  });
  ctx.$.on(
    'passwd -l root',
    () => (edit(ctx, '/etc/shadow', 'root', (f) => (f[1] = '!' + f[1])), { stdout: 'passwd: password changed.\n' }),
  );
  ctx.$.on('visudo -cf -', { stdout: 'stdin: parsed OK\n' });
}

/** a fresh Hetzner Debian 12 server: root with a password, no admin yet */
export function stockMachine(p: AdminPlan = params) {
  const ctx = stepContext(p);
  ctx.fs
    .seed('/etc/passwd', 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n')
    .seed('/etc/group', 'root:x:0:\ndaemon:x:1:\nsudo:x:27:\n')
    .seed('/etc/shadow', `root:${ROOT_HASH}:19800:0:99999:7:::\ndaemon:*:19800:0:99999:7:::\n`, 0o640, 'root:shadow');
  ctx.fs.files.set('/etc/sudoers.d', { dir: true, mode: 0o755, owner: 'root:root' });
  accountTools(ctx);
  return ctx;
}

export const shadowOf = (ctx: Ctx, name: string) => table(ctx, '/etc/shadow').find(([n]) => n === name)?.[1];

/** Debian 12 tool output for a converged admin */
export function liveTools(ctx: Ctx) {
  ctx.$.on('getent passwd fx', { stdout: 'fx:x:1000:1000::/home/fx:/usr/bin/zsh\n' })
    .on('test -x /usr/bin/zsh', {})
    .on('ssh-keygen -l -f /home/fx/.ssh/authorized_keys', {
      stdout:
        '256 SHA256:Jw3DXoVYb3d6nY0xVbT7l4E5bJ0Gd7XlVQfT2b0mR9c me@laptop (ED25519)\n' +
        '256 SHA256:9f2kq5m2Ef0Xb4yK8WcT0v1p7oNn3sLr6hGd2uYaQzM ci (ED25519)\n',
    })
    .on('sudo -l -U fx', {
      stdout:
        'Matching Defaults entries for fx on dev1:\n    env_reset, mail_badpass,\n' +
        '    secure_path=/usr/local/sbin\\:/usr/local/bin\\:/usr/sbin\\:/usr/bin\\:/sbin\\:/bin,\n' +
        '    use_pty\n\nUser fx may run the following commands on dev1:\n    (ALL) NOPASSWD: ALL\n',
    })
    .on('passwd -S fx', { stdout: 'fx L 2024-10-05 0 99999 7 -1\n' })
    .on('passwd -S root', { stdout: 'root L 2024-10-05 0 99999 7 -1\n' });
}

/** chpasswd and a crypt check against a stand-in hash ("$fake$" + password), both through stdin */
export function passwordTools(ctx: Ctx) {
  ctx.$.on('chpasswd', (_cmd, opts) => {
    const [name, password] = opts.input!.replace(/\n$/, '').split(/:(.*)/s);
    edit(ctx, '/etc/shadow', name, (f) => (f[1] = `$fake$${password}`));
    return {};
  });
  ctx.$.on(/^perl -e /, (_cmd, opts) => {
    const [hash, password] = opts.input!.split(/\n(.*)/s);
    return { exitCode: hash === `$fake$${password}` ? 0 : 1 };
  });
}
