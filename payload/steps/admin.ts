// The admin account: key login, passwordless sudo, no password (or a console password from a secret);
// then root's password locked.
// Lockout rule 4 (docs/ARCHITECTURE.md): this step makes the admin able to log in and become root; the
// ssh step, which runs after it, is the one that turns root's SSH login off.
//
// The admin's password field is "*" (no password can match), not passwd -l's "!": sshd treats a "!"
// account as locked and refuses even its keys when UsePAM is off (with UsePAM on it lets them in), so
// "*" keeps key login working whatever sshd's PAM setting. `passwd -S` reports both as L.
import type { Ctx, Step } from '../step';
import type { AdminPlan } from '../../contract/plan';
import type { Fs } from '../lib/fs';
import type { Shell } from '../lib/shell';
import { fileDrift, header, modeDrift, writeFile, type FileSpec, type ModeRule } from '../lib/files';
import { secretProblem } from '../../contract/secrets';

const NO_PASSWORD = '*';

interface Account {
  home: string;
  shell: string;
  /** "user:group" for the files the account owns */
  owner: string;
}

/** The first entry of a colon-separated database (/etc/passwd, /etc/group, /etc/shadow) that matches, as fields. */
async function entry(fs: Fs, file: string, key: (fields: string[]) => boolean): Promise<string[] | undefined> {
  return ((await fs.read(file)) ?? '')
    .split('\n')
    .map((line) => line.split(':'))
    .find(key);
}

/** The account as /etc/passwd has it: the home directory is wherever it says, not assumed. */
async function account(fs: Fs, name: string): Promise<Account | undefined> {
  const user = await entry(fs, '/etc/passwd', ([n]) => n === name);
  if (!user) return undefined;
  const group = (await entry(fs, '/etc/group', ([, , gid]) => gid === user[3]))?.[0] ?? user[3];
  return { home: user[5], shell: user[6], owner: `${name}:${group}` };
}

const passwordField = async (fs: Fs, name: string) => (await entry(fs, '/etc/shadow', ([n]) => n === name))?.[1];

/** no password can log in: "!" (locked) or "*" in front of whatever the field held */
const noPasswordLogin = (field: string | undefined) => field !== undefined && /^[!*]/.test(field);

const describePassword = (field: string) =>
  field === '' ? 'empty' : field.startsWith('!') ? 'locked with "!" (sshd refuses its keys without PAM)' : 'set';

// sudo skips files in sudoers.d whose names contain a dot; verify's `sudo -l` would catch such a name
const sudoersFile = (name: string): FileSpec => ({
  path: `/etc/sudoers.d/90-firstboot-${name}`,
  // the log file is what CIS 5.2.3 asks for, and the audit step watches it. ANSSI R39: no command found
  // through "." in PATH, and what a command run through sudo creates is its owner's alone (a program
  // that needs other modes sets them; firstboot's own runs set their umask)
  content: `${header(`${name} may run any command as root without a password`)}Defaults logfile=/var/log/sudo.log
Defaults ignore_dot
Defaults umask=0077
${name} ALL=(ALL) NOPASSWD:ALL
`,
  mode: 0o440,
});

const sshDir = (acct: Account) => `${acct.home}/.ssh`;
const keysFile = (acct: Account, keys: string[]): FileSpec => ({
  path: `${sshDir(acct)}/authorized_keys`,
  content: keys.map((key) => `${key}\n`).join(''),
  mode: 0o600,
  owner: acct.owner,
});

async function sshDirDrift(fs: Fs, acct: Account): Promise<string[]> {
  const stat = await fs.stat(sshDir(acct));
  if (!stat?.isDirectory) return [`${sshDir(acct)} is missing`];
  const drift: string[] = [];
  if (stat.mode !== 0o700) drift.push(`${sshDir(acct)} has mode ${stat.mode.toString(8)}, wants 700`);
  if (stat.owner !== acct.owner) drift.push(`${sshDir(acct)} is owned by ${stat.owner}, wants ${acct.owner}`);
  return drift;
}

/** what the shells run at login or start (other files in the home, such as sudo's marker, do not count) */
const START_FILES = [
  '.profile',
  '.bashrc',
  '.bash_profile',
  '.bash_login',
  '.bash_logout',
  '.zshrc',
  '.zshenv',
  '.zprofile',
  '.zlogin',
  '.zlogout',
  '.cshrc',
  '.login',
];

/**
 * No one else reads the admin's home, and the group never writes to it: Debian 12's useradd makes it
 * 0755 (Debian 13's and Ubuntu's 0750), and it holds the admin's shell history, keys and work (Lynis
 * HOME-9304). sshd's StrictModes is content with anything not writable by others. Its start files
 * (.profile, .bashrc: what every login runs, 0644 from skel) neither (OpenSCAP's ANSSI profile wants
 * 0740 at most). sudo's rules are for root to read (sudo is setuid): Debian ships sudoers.d 0755.
 */
const modeRules = (acct: Account | undefined): ModeRule[] => [
  ...(acct
    ? [
        { paths: [acct.home], mask: 0o027 },
        { paths: START_FILES.map((name) => `${acct.home}/${name}`), mask: 0o037 },
      ]
    : []),
  { paths: ['/etc/sudoers.d'], mask: 0o027 },
];

/**
 * Whether the shadow hash is that of the password: perl's crypt is libcrypt's (yescrypt, SHA-512), and
 * perl-base is Essential. Both go in on stdin, never on a command line.
 */
async function passwordMatches($: Shell, hash: string, password: string): Promise<boolean> {
  const script = 'local $/; my ($h, $p) = split /\n/, <STDIN>, 2; exit(crypt($p, $h) eq $h ? 0 : 1)';
  return (await $({ nothrow: true, input: `${hash}\n${password}` })`perl -e ${script}`).ok;
}

/**
 * The console password from its secret: undefined while not given, and never one that breaks the
 * config's rules (the file may not be what the CLI checked): that one is a problem instead.
 */
async function consolePassword(ctx: Ctx<AdminPlan>): Promise<{ value?: string; problem?: string }> {
  const value = ctx.params.password ? await ctx.secret(ctx.params.password) : undefined;
  const problem =
    value === undefined ? undefined : secretProblem({ name: ctx.params.password!, option: 'admin.password' }, value);
  return problem ? { problem: `${problem}; not set` } : { value };
}

/**
 * The console password the plan wants: none ("*"), the secret's, or undefined while the secret is not
 * given or is refused.
 */
async function passwordDrift(ctx: Ctx<AdminPlan>): Promise<string[]> {
  const { name, password } = ctx.params;
  const field = (await passwordField(ctx.fs, name)) ?? '';
  if (!password)
    return field === NO_PASSWORD ? [] : [`${name}'s password is ${describePassword(field)}, wants none ("*")`];
  const { value } = await consolePassword(ctx);
  if (value === undefined || (/^\$/.test(field) && (await passwordMatches(ctx.$, field, value)))) return [];
  return [`${name}'s console password is not the one in secret ${password}`];
}

async function accountDrift(ctx: Ctx<AdminPlan>, acct: Account): Promise<string[]> {
  const { name, shell, keys } = ctx.params;
  const drift = acct.shell === shell ? [] : [`${name}'s shell is ${acct.shell}, wants ${shell}`];
  return [
    ...drift,
    ...(await passwordDrift(ctx)),
    ...(await sshDirDrift(ctx.fs, acct)),
    ...(await fileDrift(ctx.fs, keysFile(acct, keys))),
  ];
}

async function createUser($: Shell, name: string, shell: string): Promise<void> {
  // no groups beyond its own: root comes from the sudoers.d file, and the `sudo` group would ask for a password
  const out = await $({ nothrow: true })`useradd --create-home --shell ${shell} --user-group ${name}`;
  if (!out.ok) throw new Error(`useradd ${name} failed (exit ${out.exitCode}): ${out.stderr.trim()}`);
}

/** visudo checks the rule from stdin: a temporary file in /etc/sudoers.d would be live while it is checked */
async function installSudoers($: Shell, fs: Fs, spec: FileSpec): Promise<void> {
  if ((await fileDrift(fs, spec)).length === 0) return;
  const out = await $({ nothrow: true, input: spec.content })`visudo -cf -`;
  if (!out.ok) throw new Error(`${spec.path} would not parse, not written: ${(out.stderr || out.stdout).trim()}`);
  await writeFile(fs, spec);
}

export const admin: Step<'admin'> = {
  id: 'admin',
  after: ['packages'],
  async check(ctx) {
    const { params, fs } = ctx;
    const acct = await account(fs, params.name);
    const drift = acct ? await accountDrift(ctx, acct) : [`user ${params.name} does not exist`];
    drift.push(
      ...(await fileDrift(fs, sudoersFile(params.name))),
      ...(await modeDrift(fs, modeRules(acct))).map((d) => d.problem),
    );
    if (!noPasswordLogin(await passwordField(fs, 'root'))) drift.push('root can log in with a password');
    return drift;
  },
  async apply(ctx) {
    const { params, $, fs } = ctx;
    const { name, shell, keys } = params;
    if (!(await account(fs, name))) await createUser($, name, shell);
    const acct = await account(fs, name);
    if (!acct) throw new Error(`useradd ${name} succeeded but /etc/passwd has no ${name}`);
    if (acct.shell !== shell) await $`usermod --shell ${shell} ${name}`;
    if ((await passwordDrift(ctx)).length) {
      const { value } = await consolePassword(ctx);
      // chpasswd hashes it as login.defs says, reading "user:password" from stdin
      if (value) await $({ input: `${name}:${value}\n` })`chpasswd`;
      else await $`usermod --password ${NO_PASSWORD} ${name}`;
    }
    for (const { path, mode } of await modeDrift(fs, modeRules(acct))) await fs.chmod(path, mode);
    if ((await sshDirDrift(fs, acct)).length > 0) await fs.mkdir(sshDir(acct), { mode: 0o700, owner: acct.owner });
    await writeFile(fs, keysFile(acct, keys));
    await installSudoers($, fs, sudoersFile(name));
    // last, once the admin can get in and become root
    if (!noPasswordLogin(await passwordField(fs, 'root'))) await $`passwd -l root`;
  },
  async verify(ctx) {
    const { params, $ } = ctx;
    const { name, keys } = params;
    const given = await consolePassword(ctx);
    const nothrow = $({ nothrow: true });
    const user = await nothrow`getent passwd ${name}`;
    if (!user.ok) return [`user ${name} does not exist`];
    const [, , , , , home, shell] = user.stdout.trim().split(':');
    const problems: string[] = given.problem ? [given.problem] : [];
    // asked at once: on a busy first boot each process takes a fraction of a second
    const who = [name, 'root'];
    const [shellRuns, fingerprints, sudo, ...status] = await Promise.all([
      nothrow`test -x ${shell}`,
      nothrow`ssh-keygen -l -f ${home}/.ssh/authorized_keys`,
      nothrow`sudo -l -U ${name}`,
      ...who.map((user) => nothrow`passwd -S ${user}`),
    ]);
    if (!shellRuns.ok) problems.push(`${name}'s shell ${shell} is not executable: sshd refuses the login`);
    const usable = fingerprints.ok ? fingerprints.stdout.split('\n').filter(Boolean).length : 0;
    if (usable !== keys.length)
      problems.push(`${home}/.ssh/authorized_keys has ${usable} usable keys, wants ${keys.length}`);
    if (!/^\s*\(ALL(?: : ALL)?\) NOPASSWD: ALL\s*$/m.test(sudo.stdout))
      problems.push(`sudo does not let ${name} run everything without a password`);
    for (const [i, user] of who.entries()) {
      // the admin's console password, once given, is usable (P); everyone else has none (L)
      const want = user !== name || !params.password ? 'L' : given.value ? 'P' : undefined;
      const got = status[i].stdout.split(' ')[1];
      if (want && got !== want) {
        problems.push(
          `${user} ${want === 'L' ? 'can log in with a password' : 'has no usable console password'} ` +
            `(passwd -S: ${got ?? 'no answer'})`,
        );
      }
    }
    return problems;
  },
};
