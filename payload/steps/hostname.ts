// The machine's name: /etc/hostname for the next boot, the kernel's name now, and 127.0.1.1 in /etc/hosts
// so the name resolves (sudo warns "unable to resolve host" otherwise).
// `hostname NAME` (sethostname(2), Debian's essential hostname package) rather than hostnamectl, which
// needs dbus and systemd-hostnamed: minimal images may lack dbus, and first boot is early for it anyway.
import type { Step } from '../step';
import type { Fs } from '../lib/fs';
import { fileDrift, header, writeFile, type FileSpec } from '../lib/files';

const LOOPBACK_NAME = '127.0.1.1';
const CLOUD_CFG_DIR = '/etc/cloud';

const hostnameFile = (name: string): FileSpec => ({ path: '/etc/hostname', content: `${name}\n`, mode: 0o644 });

/**
 * cloud-init sets the hostname from Hetzner's metadata (the server's name) on every boot, and with
 * manage_etc_hosts rewrites /etc/hosts from its template: both would undo this step at the next reboot.
 * 99- so it is read after Hetzner's own 90-hetznercloud.cfg: the later file wins.
 */
const cloudInitFile = (): FileSpec => ({
  path: `${CLOUD_CFG_DIR}/cloud.cfg.d/99-firstboot-hostname.cfg`,
  content: `${header('the hostname is set by firstboot, not by cloud-init')}preserve_hostname: true
manage_etc_hosts: false
`,
  mode: 0o644,
});

/** /etc/hosts with one `127.0.1.1 NAME` line where the first one was (after 127.0.0.1 if none); the rest as is */
function withLoopbackName(hosts: string, name: string): string {
  const ours = `${LOOPBACK_NAME} ${name}`;
  const lines = hosts.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const isOurs = (line: string) => line.trim().split(/\s+/)[0] === LOOPBACK_NAME;
  const first = lines.findIndex(isOurs);
  if (first >= 0)
    return (
      [...lines.slice(0, first), ours, ...lines.slice(first + 1).filter((line) => !isOurs(line))].join('\n') + '\n'
    );
  const afterLocalhost = lines.findIndex((line) => line.trim().startsWith('127.0.0.1')) + 1;
  return [...lines.slice(0, afterLocalhost), ours, ...lines.slice(afterLocalhost)].join('\n') + '\n';
}

async function hostsFile(fs: Fs, name: string): Promise<FileSpec> {
  const stat = await fs.stat('/etc/hosts');
  const content = withLoopbackName((await fs.read('/etc/hosts')) ?? '127.0.0.1 localhost\n', name);
  return { path: '/etc/hosts', content, mode: stat?.mode ?? 0o644, owner: stat?.owner };
}

async function files(fs: Fs, name: string): Promise<FileSpec[]> {
  const cloudInit = (await fs.stat(CLOUD_CFG_DIR)) ? [cloudInitFile()] : [];
  return [hostnameFile(name), await hostsFile(fs, name), ...cloudInit];
}

export const hostname: Step<'hostname'> = {
  id: 'hostname',
  after: [],
  async check({ params, $, fs }) {
    const drift: string[] = [];
    const live = (await $`hostname`).stdout.trim();
    if (live !== params.hostname) drift.push(`hostname is ${live}, wants ${params.hostname}`);
    for (const spec of await files(fs, params.hostname)) drift.push(...(await fileDrift(fs, spec)));
    return drift;
  },
  async apply({ params, $, fs }) {
    for (const spec of await files(fs, params.hostname)) await writeFile(fs, spec);
    if ((await $`hostname`).stdout.trim() !== params.hostname) await $`hostname ${params.hostname}`;
  },
  async verify({ params, $ }) {
    const problems: string[] = [];
    const live = (await $`hostname`).stdout.trim();
    if (live !== params.hostname) problems.push(`hostname is ${live}, wants ${params.hostname}`);
    if (!(await $({ nothrow: true })`getent hosts ${params.hostname}`).ok)
      problems.push(`${params.hostname} does not resolve`);
    return problems;
  },
};
