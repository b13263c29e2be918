// auditd with firstboot's rules: a rules.d file that augenrules merges into /etc/audit/audit.rules and
// loads (Debian's auditd.service runs `augenrules --load` too, so the rules come back after a reboot).
// Never `-e 2`: immutable rules would make a re-run or any change impossible until the next reboot.
// The rules are this code's own (contract/audit-rules.ts, bundled in): the plan only turns the step on.
import { dirname } from 'node:path';
import { AUDIT_RULES } from '../../contract/audit-rules';
import type { Step } from '../step';
import type { Fs } from '../lib/fs';
import type { Log } from '../lib/log';
import type { Shell } from '../lib/shell';
import { fileDrift, header, writeFile, type FileSpec } from '../lib/files';
import { enableNow, unitsDown } from '../lib/systemd';

export const RULES_FILE = '/etc/audit/rules.d/90-firstboot.rules';

/**
 * the file or folder a rule watches: `-w PATH`, or a path filter `-F path=PATH`, which the kernel turns
 * into a watch
 */
const watchedPath = (rule: string) => /^-w\s+(\S+)|\s-F\s+path=(\S+)/.exec(rule)?.slice(1).find(Boolean);

/**
 * The rules this machine can load, and those it cannot. The kernel refuses a watch whose parent
 * directory is missing, and `auditctl -R` stops at the first refused rule, dropping every rule after it.
 */
async function loadable(fs: Fs, rules: readonly string[]): Promise<{ rules: string[]; skipped: string[] }> {
  const kept: string[] = [];
  const skipped: string[] = [];
  for (const rule of rules) {
    const path = watchedPath(rule);
    const parent = path && dirname(path.replace(/\/+$/, ''));
    if (parent && !(await fs.stat(parent))) skipped.push(rule);
    else kept.push(rule);
  }
  return { rules: kept, skipped };
}

function rulesFile({ rules, skipped }: { rules: string[]; skipped: string[] }): FileSpec {
  const content =
    header('audit rules, merged and loaded by augenrules') +
    '# No -e 2 here: locked rules would make a re-run or a change impossible until the next reboot.\n' +
    skipped.map((rule) => `# skipped, its parent directory is missing: ${rule}\n`).join('') +
    rules.map((rule) => `${rule}\n`).join('');
  return { path: RULES_FILE, content, mode: 0o640 };
}

/**
 * What identifies a rule in `auditctl -l`, which prints rules normalised: watches without a trailing
 * slash, `-k` as `-F key=` on syscall rules, syscalls in the kernel's number order (which differs
 * between x86_64 and aarch64), `exit,always` as `always,exit`, auid=-1 as `unset`, a path filter's rule
 * with `-S all`. The auid filters are left out of the identity for the auid reason.
 */
export function ruleIdentity(rule: string): string {
  const tokens = rule.trim().split(/\s+/);
  let list = '',
    arch = '',
    path = '',
    perms = '',
    key = '';
  const syscalls: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const value = tokens[i + 1] ?? '';
    switch (tokens[i]) {
      case '-a':
        list = value.split(',').sort().join(',');
        break;
      case '-w':
        path = value.replace(/(.)\/+$/, '$1');
        break;
      case '-p':
        perms = [...value].sort().join('');
        break;
      case '-k':
        key = value;
        break;
      case '-S':
        if (value !== 'all') syscalls.push(...value.split(','));
        break;
      case '-F': {
        const [field, fieldValue] = value.split('=');
        if (field === 'key') key = fieldValue;
        if (field === 'arch') arch = fieldValue;
        if (field === 'path') path = fieldValue;
        if (field === 'perm') perms = [...fieldValue].sort().join('');
        break;
      }
      default:
        continue;
    }
    i++;
  }
  return JSON.stringify([list, arch, syscalls.sort(), path, perms, key]);
}

/** Planned rules the kernel does not have loaded. */
async function notLoaded($: Shell, rules: readonly string[]): Promise<string[]> {
  const listed = await $({ nothrow: true })`auditctl -l`;
  const loaded = new Set(
    listed.stdout
      .split('\n')
      .filter((line) => line.startsWith('-'))
      .map(ruleIdentity),
  );
  return rules.filter((rule) => !loaded.has(ruleIdentity(rule)));
}

/** The kernel's audit enabled flag: 0 off, 1 on, 2 on and locked; undefined when auditctl fails. */
async function enabledFlag($: Shell): Promise<string | undefined> {
  const status = await $({ nothrow: true })`auditctl -s`;
  return /^enabled (\d)/m.exec(status.stdout)?.[1];
}

const LOCKED = 'audit rules are locked (enabled 2, an -e 2 in another rules file): they change only after a reboot';

async function planned(fs: Fs, log: Log, rules: readonly string[]) {
  const found = await loadable(fs, rules);
  for (const rule of found.skipped) log.warn(`audit: skipping "${rule}": its parent directory is missing`);
  return found;
}

/** The step, with the rules it loads: its own, or others in a test. */
export const auditStep = (rules: readonly string[]): Step<'audit'> => ({
  id: 'audit',
  after: ['packages'],
  async check({ $, fs, log }) {
    const wanted = await planned(fs, log, rules);
    const drift = await fileDrift(fs, rulesFile(wanted));
    const merged = await $({ nothrow: true })`augenrules --check`;
    if (!merged.ok) drift.push(`augenrules --check failed: ${merged.stderr.trim()}`);
    else if (/Rules have changed/.test(merged.stdout))
      drift.push('/etc/audit/audit.rules is not up to date with /etc/audit/rules.d');
    drift.push(...(await unitsDown($, ['auditd'])));
    const missing = await notLoaded($, wanted.rules);
    if (missing.length > 0)
      drift.push(`${missing.length} of ${wanted.rules.length} firstboot audit rules are not loaded`);
    return drift;
  },
  async apply({ $, fs, log }) {
    await writeFile(fs, rulesFile(await planned(fs, log, rules)));
    await enableNow($, 'auditd');
    if ((await enabledFlag($)) === '2') throw new Error(LOCKED);
    await $`augenrules --load`;
  },
  async verify({ $, fs, log }) {
    const problems: string[] = [];
    const enabled = await enabledFlag($);
    if (enabled === undefined) problems.push('auditctl -s failed: is auditd installed?');
    else if (enabled === '0') problems.push('auditing is disabled (auditctl -s: enabled 0)');
    else if (enabled === '2') problems.push(LOCKED);
    const loaded = await planned(fs, log, rules);
    problems.push(...(await notLoaded($, loaded.rules)).map((rule) => `audit rule not loaded: ${rule}`));
    return [...problems, ...(await unitsDown($, ['auditd']))];
  },
});

export const audit = auditStep(AUDIT_RULES);
