// "The user's machine" for the CLI under test: a HOME of its own, and an ssh on PATH that reaches fake
// addresses (192.0.2.x, a documentation range) through qemu's forwards, and the stand-in tailnet's names
// (tailscale.ts) through the VM's tailnet forwards. The user's ~/.ssh/config and known_hosts in that HOME
// count as they would for the user (ssh reads its own from the passwd home, so the route names them).
import { type ChildProcess, execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { TAILNET } from './tailscale-package';
import type { KeyPair } from './userdata';
import type { Vm } from './vm';

const RELAY = resolve(new URL('./relay.mjs', import.meta.url).pathname);
const CLI = resolve(new URL('../../dist/firstboot.js', import.meta.url).pathname);

export interface Route {
  home: string;
  /** HOME and PATH for the CLI */
  env: NodeJS.ProcessEnv;
  /**
   * connections to ADDRESS:PORT go to the VM's forward of guest port PORT; with tailnet, to its tailnet forward
   * (ADDRESS then a name under TAILNET.domain, e.g. `apply.firstboot-test.ts.net`, or TAILNET.address)
   */
  add(address: string, vm: Vm, guestPorts: number[], opts?: { tailnet?: boolean }): void;
  /** the shipped CLI, run as this user (`env` on top) */
  cli(args: string[], env?: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }>;
  /** stops the CLIs still running: a scenario that failed leaves its `firstboot wait` retrying, and the test hanging */
  close(): void;
}

export async function sshRoute(key: KeyPair): Promise<Route> {
  const dir = mkdtempSync(join(tmpdir(), 'firstboot-route-'));
  const home = join(dir, 'home');
  const bin = join(dir, 'bin');
  mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
  mkdirSync(bin);
  const sshConfig = join(dir, 'ssh_config');
  // Match host, not Host: it sees the name after the user's HostName, so a Host block that names the tailnet
  // name under an alias of its own goes through the route too (%h is that name)
  writeFileSync(
    sshConfig,
    `Include ${home}/.ssh/config
Match host 192.0.2.*,*.${TAILNET.domain},${TAILNET.address}
  ProxyCommand ${process.execPath} ${RELAY} $(cat ${dir}/port-%h-%p)
  IdentityFile ${key.private}
  IdentitiesOnly yes
Host *
  UserKnownHostsFile ${home}/.ssh/known_hosts
`,
  );
  const realSsh = (await promisify(execFile)('sh', ['-c', 'command -v ssh'])).stdout.trim();
  writeFileSync(join(bin, 'ssh'), `#!/bin/sh\nexec ${realSsh} -F ${sshConfig} "$@"\n`);
  chmodSync(join(bin, 'ssh'), 0o755);
  const env = { ...process.env, HOME: home, PATH: `${bin}:${process.env.PATH}` };
  const running = new Set<ChildProcess>();
  return {
    home,
    env,
    cli: (args, more = {}) =>
      new Promise((res) => {
        const options = { env: { ...env, ...more }, encoding: 'utf8' as const, maxBuffer: 1 << 24 };
        const child = execFile(process.execPath, [CLI, ...args], options, (error, stdout, stderr) => {
          running.delete(child);
          res({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
        });
        running.add(child);
      }),
    close: () => {
      for (const child of running) child.kill();
    },
    add(address, vm, guestPorts, opts = {}) {
      const forwards = opts.tailnet ? vm.tailnetPorts : vm.ports;
      for (const port of guestPorts) {
        if (forwards[port] === undefined)
          throw new Error(`guest port ${port} is not forwarded${opts.tailnet ? ' through the tailnet' : ''}`);
        writeFileSync(join(dir, `port-${address}-${port}`), String(forwards[port]));
      }
    },
  };
}
