// CIS level 1 files no other step owns (generator/capabilities/baseline.ts says why each, and what is
// left out): login banners, kernel modules that never load, login.defs, no core dumps, idle shells,
// cron for root and the admin only, and compilers for root only when no user needs one; verify also
// wants AppArmor enabled and process accounting running (their packages start them).
import { posix } from 'node:path';
import type { BaselinePlan } from '../../contract/plan';
import type { Step } from '../step';
import type { Fs } from '../lib/fs';
import type { Shell } from '../lib/shell';
import { filesDrift, header, modeDrift, withSettings, writeFiles, type FileSpec } from '../lib/files';
import { isActive } from '../lib/systemd';

const LOGIN_DEFS = '/etc/login.defs';
const IDLE_SHELL = '/etc/profile.d/firstboot-idle.sh';
/**
 * A bash login shell idle at its prompt for 10 minutes closes (ANSSI R32; a running program is never
 * cut), so a terminal left open is not left logged in. Not inside tmux, screen or mosh: their sessions
 * are meant to stay open while idle, and they would otherwise inherit the exported value.
 */
const IDLE_SHELL_SCRIPT = `if [ -n "\${BASH_VERSION-}" ]; then
  if [ -n "\${TMUX-}\${STY-}" ] || [ "$(cat /proc/$PPID/comm 2>/dev/null)" = mosh-server ]; then
    unset TMOUT 2>/dev/null
  else
    declare -xr TMOUT=600
  fi
fi
`;
const CRONTAB = '/etc/crontab';
const CRON_DIRS = ['/etc/cron.d', '/etc/cron.hourly', '/etc/cron.daily', '/etc/cron.weekly', '/etc/cron.monthly'];
/** the cron folders root's alone */
const CRON_MODES = [{ paths: CRON_DIRS, mask: 0o077 }];

function fixedFiles(params: BaselinePlan): FileSpec[] {
  return [
    { path: '/etc/issue', content: params.banner, mode: 0o644 },
    { path: '/etc/issue.net', content: params.banner, mode: 0o644 },
    {
      path: '/etc/modprobe.d/firstboot-blocklist.conf',
      // /bin/true, not /bin/false as CIS writes it: the module never loads either way (an explicit
      // modprobe just succeeds doing nothing), CIS' audit accepts both, and Lynis' NETW-3200 only this one
      content:
        header('kernel modules that never load') +
        params.blockedModules.map((m) => `install ${m} /bin/true\nblacklist ${m}\n`).join(''),
      mode: 0o644,
    },
    // a core dump holds whatever was in memory, keys included: none for PAM sessions or services
    {
      path: '/etc/security/limits.d/firstboot-core.conf',
      content:
        header('no core dumps') +
        `* soft core 0
* hard core 0
`,
      mode: 0o644,
    },
    {
      path: '/etc/systemd/coredump.conf.d/firstboot.conf',
      // with these two, systemd-coredump keeps no dump and only logs that a process dumped core
      content:
        header('no core dumps') +
        `[Coredump]
Storage=none
ProcessSizeMax=0
`,
      mode: 0o644,
    },
    { path: IDLE_SHELL, content: header('idle shells close') + IDLE_SHELL_SCRIPT, mode: 0o644 },
  ];
}

/** cron's files as CIS wants them, when cron is installed: root-only, and cron.allow naming who may use it */
async function cronFiles({ fs }: { fs: Fs }, users: string[]): Promise<FileSpec[]> {
  const crontab = await fs.stat(CRONTAB);
  if (!crontab) return [];
  // crontab(1) is setgid crontab and reads cron.allow with that group
  const group = (await fs.read('/etc/group'))?.split('\n').some((line) => line.startsWith('crontab:'))
    ? 'crontab'
    : 'root';
  return [
    { path: CRONTAB, content: (await fs.read(CRONTAB))!, mode: 0o600 },
    {
      path: '/etc/cron.allow',
      content: ['root', ...users].map((u) => `${u}\n`).join(''),
      mode: 0o640,
      owner: `root:${group}`,
    },
  ];
}

async function wanted(params: BaselinePlan, fs: Fs): Promise<FileSpec[]> {
  const defs = await fs.read(LOGIN_DEFS);
  const loginDefs =
    defs === undefined
      ? []
      : [
          {
            path: LOGIN_DEFS,
            content: withSettings(defs, params.loginDefs, (key, value) => `${key} ${value}`),
            mode: 0o644,
          },
        ];
  return [...fixedFiles(params), ...loginDefs, ...(await cronFiles({ fs }, params.cronUsers))];
}

/** The file a path's links lead to (dpkg-statoverride and the mode are the file's), if it exists. */
async function realFile(fs: Fs, path: string): Promise<string | undefined> {
  let current = path;
  for (let hop = 0; hop < 16; hop++) {
    const link = await fs.readlink(current);
    if (link === undefined) return (await fs.stat(current)) ? current : undefined;
    current = posix.resolve(posix.dirname(current), link);
  }
  return undefined;
}

/** The installed programs of `names` (in /usr/bin) that others may still run: each file once (cc and gcc are one). */
async function openToUsers(fs: Fs, names: string[] = []): Promise<string[]> {
  const files = new Set<string>();
  for (const name of names) {
    const file = await realFile(fs, `/usr/bin/${name}`);
    if (file) files.add(file);
  }
  const open: string[] = [];
  for (const file of files) {
    const st = (await fs.stat(file))!;
    if ((st.mode & 0o777) !== 0o750 || st.owner !== 'root:root') open.push(file);
  }
  return open;
}

/** modules modprobe would still load: it names the install command it would run instead */
async function loadable($: Shell, modules: string[]): Promise<string[]> {
  const loads: string[] = [];
  for (const name of modules) {
    const dry = await $({ nothrow: true })`modprobe -n -v ${name}`;
    if (!/install \/bin\/(true|false)\b/.test(dry.stdout)) loads.push(`kernel module ${name} would load`);
  }
  return loads;
}

export const baseline: Step<'baseline'> = {
  id: 'baseline',
  after: ['packages'], // acct, debsums
  // useradd reads login.defs, which this step changes: the admin is made with the distribution's defaults
  notBefore: ['admin'],
  async check({ params, fs }) {
    const compilers = (await openToUsers(fs, params.rootOnly)).map(
      (file) => `${file} runs for every user, wants root only (root:root 0750)`,
    );
    return [
      ...(await filesDrift(fs, await wanted(params, fs))),
      ...(await modeDrift(fs, CRON_MODES)).map((d) => d.problem),
      ...compilers,
    ];
  },
  async apply({ params, $, fs }) {
    await writeFiles(fs, await wanted(params, fs));
    for (const { path, mode } of await modeDrift(fs, CRON_MODES)) await fs.chmod(path, mode);
    // a stat override, not a chmod: the package's next upgrade would put 0755 back
    for (const file of await openToUsers(fs, params.rootOnly))
      await $`dpkg-statoverride --update --force-statoverride-add --add root root 0750 ${file}`;
  },
  // the files are checked by check, which the runner and `firstboot check` run too: this is the live state
  async verify({ params, $ }) {
    const accounting = (await isActive($, 'acct')) ? [] : ['process accounting (acct) is not running'];
    const apparmor = (await $({ nothrow: true })`aa-status --enabled`).ok ? [] : ['AppArmor is not enabled'];
    return [...(await loadable($, params.blockedModules)), ...accounting, ...apparmor];
  },
};
