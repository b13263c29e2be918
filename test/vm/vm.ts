// Boots a Debian image that cloud-init takes for a Hetzner Cloud server and drives it from outside:
// qemu (TCG) with a fresh copy-on-write overlay, a fake metadata service, the local package
// repository and npm registry, loopback port forwards, a serial console in a file, and QMP for power control.
// A library: no test framework here, so a fake Hetzner API can boot servers with it too.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { run, workPath } from './exec';
import { buildImage, REPO_ADDRESS } from './image';
import { startMetadata, type MetadataServer } from './metadata';
import type { Suite } from './packages';
import { qmp } from './qmp';
import { REGISTRY_PORT, startVmRegistry } from './npm';
import { buildRepo, serveRepo, type Served } from './repo';
import type { Registry } from '../registry';
import { TAILNET } from './tailscale';

export interface VmOptions {
  /** names the work and artifact folders; also the hostname the metadata hands out */
  name: string;
  suite: Suite;
  /** the user_data as it would be sent to Hetzner */
  userData: string | Buffer;
  sshSocket?: boolean;
  /** a minimal image (image.ts) */
  minimal?: boolean;
  /** guest TCP ports reachable on 127.0.0.1 (see `ports`) */
  hostPorts?: number[];
  /**
   * guest TCP ports reachable through the stand-in tailnet (tailscale.ts; see `tailnetPorts`): a second NIC on a
   * network of its own, which the stand-in's `tailscale up` renames to tailscale0 and gives the node's address
   */
  tailnet?: number[];
  /** the metadata's public-keys: what Hetzner installs for root from the project's SSH keys */
  publicKeys?: string[];
  instanceId?: string;
  memoryMiB?: number;
  /** more services on the host the guest reaches: ADDRESS:PORT in the guest's network -> 127.0.0.1:to */
  services?: { address: string; port: number; to: number }[];
  /** more folders the repository serves, by path (tailscale.ts) */
  served?: Record<string, string>;
  /** more tarballs the npm registry gets, published before the VM starts (npm.ts localPackage) */
  publish?: string[];
}

export interface SshResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface SshOptions {
  /** guest port (default 22) */
  port?: number;
  /** private key file; without it only non-key methods are offered */
  key?: string;
  /** extra ssh -o options, e.g. PreferredAuthentications=password */
  options?: string[];
  /** share one connection between calls (ControlMaster), so a run of commands is one login */
  reuse?: boolean;
  /** the whole command, after which ssh is killed and the result is exit 255 (default 5 minutes) */
  timeoutMs?: number;
  /** through the stand-in tailnet (VmOptions.tailnet) rather than the public forward */
  tailnet?: boolean;
  /** the command's stdin (a secret stays off its command line); none by default */
  input?: string;
}

const MAC = '96:00:00:00:00:01';
const METADATA_ADDRESS = '169.254.169.254';
const RELAY = new URL('./relay.mjs', import.meta.url).pathname;
const SSH_OPTIONS = [
  'StrictHostKeyChecking=no',
  'UserKnownHostsFile=/dev/null',
  'BatchMode=yes',
  'IdentitiesOnly=yes',
  'ConnectTimeout=20',
  'LogLevel=ERROR',
];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const { port } = server.address() as AddressInfo;
  await new Promise((res) => server.close(res));
  return port;
}

export class Vm {
  /** guest port -> 127.0.0.1 port */
  readonly ports: Record<number, number> = {};
  /** guest port on the tailnet address -> 127.0.0.1 port */
  readonly tailnetPorts: Record<number, number> = {};
  readonly console: string;
  /** performance.now() at the latest power-on */
  poweredOnAt = 0;
  private qemu?: ChildProcess;
  private exited?: Promise<void>;
  private consoleStart = 0;
  private raw?: string;
  private readonly qmpSocket: string;
  private readonly overlay: string;

  private constructor(
    readonly opts: VmOptions,
    readonly dir: string,
    private readonly qemuArgs: (vm: Vm) => string[],
    private readonly servers: { metadata: MetadataServer; repo: Served; registry: Registry },
  ) {
    this.console = join(dir, 'console.log');
    this.overlay = join(dir, 'overlay.qcow2');
    this.qmpSocket = join(mkdtempSync(join(tmpdir(), 'qmp-')), 'qmp.sock');
  }

  static async boot(opts: VmOptions): Promise<Vm> {
    const image = await buildImage({ suite: opts.suite, sshSocket: opts.sshSocket, minimal: opts.minimal });
    const repo = await serveRepo({ '/': await buildRepo(opts.suite), ...opts.served });
    const registry = await startVmRegistry(opts.publish);
    const instanceId = opts.instanceId ?? String(10_000_000 + Math.floor(Math.random() * 1_000_000));
    const metadata = await startMetadata({
      instanceId,
      hostname: opts.name,
      userData: opts.userData,
      publicKeys: opts.publicKeys ?? [],
      mac: MAC,
    });
    const dir = workPath('run', `${opts.name}-${Date.now()}`);
    mkdirSync(dir, { recursive: true });
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', image.disk, '-F', 'raw', join(dir, 'overlay.qcow2')]);

    const guestPorts = opts.hostPorts ?? [22];
    const vm = new Vm(
      opts,
      dir,
      (v) => {
        const forwards = guestPorts.map((g) => `hostfwd=tcp:127.0.0.1:${v.ports[g]}-:${g}`);
        const relay = (address: string, to: number, port = 80) =>
          `guestfwd=tcp:${address}:${port}-cmd:${process.execPath} ${RELAY} ${to}`;
        // restrict=on: the guest reaches nothing but the forwards below, so it cannot wander off to the internet.
        // net=169.254.0.0/16: qemu only accepts a guestfwd to 169.254.169.254 inside the guest's network.
        // ipv6=off: no router advertisements; the guest's IPv6 is static, from the metadata, as at Hetzner.
        const netdev = [
          'user',
          'id=n0',
          'net=169.254.0.0/16',
          'restrict=on',
          'ipv6=off',
          ...forwards,
          relay(METADATA_ADDRESS, metadata.port),
          relay(REPO_ADDRESS, repo.port),
          relay(REPO_ADDRESS, registry.port, REGISTRY_PORT),
          ...(opts.services ?? []).map((s) => relay(s.address, s.to, s.port)),
        ].join(',');
        // The stand-in tailnet: reached only through these forwards to the node's tailnet address (restrict=on, no
        // guestfwd, so the guest gets nothing out of it), and no router advertisements (ipv6=off), as on a real
        // tailscale0. cloud-init leaves this NIC alone: the metadata's network-config names eth0 by MAC only, and
        // the Hetzner datasource's DHCP goes to eth0 (cloud-init takes eth0 first; this device comes after n0's).
        const tailnet = opts.tailnet
          ? [
              '-netdev',
              [
                'user',
                'id=n1',
                `net=${TAILNET.net}`,
                `host=${TAILNET.host}`,
                'restrict=on',
                'ipv6=off',
                ...opts.tailnet.map((g) => `hostfwd=tcp:127.0.0.1:${v.tailnetPorts[g]}-${TAILNET.address}:${g}`),
              ].join(','),
              '-device',
              `virtio-net-pci,netdev=n1,mac=${TAILNET.mac},romfile=`,
            ]
          : [];
        return [
          '-name',
          opts.name,
          '-accel',
          'tcg,thread=multi',
          '-cpu',
          'max',
          '-smp',
          '2',
          '-m',
          String(opts.memoryMiB ?? 2048),
          '-nodefaults',
          '-display',
          'none',
          '-kernel',
          image.kernel,
          '-initrd',
          image.initrd,
          '-append',
          'root=LABEL=root rw console=ttyS0 net.ifnames=0',
          '-drive',
          `file=${v.overlay},if=virtio,format=qcow2`,
          '-smbios',
          `type=1,manufacturer=Hetzner,product=vServer,serial=${instanceId}`,
          '-netdev',
          netdev,
          '-device',
          `virtio-net-pci,netdev=n0,mac=${MAC},romfile=`, // no option ROM: nothing boots from the network
          ...tailnet,
          '-device',
          'virtio-rng-pci',
          '-chardev',
          `file,id=ser0,path=${v.console},append=on`,
          '-serial',
          'chardev:ser0',
          '-qmp',
          `unix:${v.qmpSocket},server=on,wait=off`,
        ];
      },
      { metadata, repo, registry },
    );
    for (const g of guestPorts) vm.ports[g] = await freePort();
    for (const g of opts.tailnet ?? []) vm.tailnetPorts[g] = await freePort();
    await vm.start();
    return vm;
  }

  /** Metadata requests so far ("GET /hetzner/v1/userdata 200"). */
  get metadataRequests(): string[] {
    return this.servers.metadata.requests;
  }

  get running(): boolean {
    return this.qemu !== undefined;
  }

  /** Powers on (again): the same overlay, so a reboot keeps the disk. */
  async start(): Promise<void> {
    if (this.qemu) throw new Error(`${this.opts.name} is already running`);
    this.raw = undefined;
    this.consoleStart = existsSync(this.console) ? readFileSync(this.console).length : 0;
    const qemu = spawn('qemu-system-x86_64', this.qemuArgs(this), { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    qemu.stderr?.on('data', (d: Buffer) => (stderr += d));
    this.qemu = qemu;
    this.poweredOnAt = performance.now();
    this.exited = new Promise((res) =>
      qemu.on('exit', (code) => {
        if (code) writeFileSync(join(this.dir, 'qemu.stderr'), stderr);
        this.qemu = undefined;
        res();
      }),
    );
  }

  /** Seconds since the latest power-on. */
  uptime(): number {
    return (performance.now() - this.poweredOnAt) / 1000;
  }

  /** The console output of the current boot. */
  consoleText(): string {
    return existsSync(this.console) ? readFileSync(this.console).subarray(this.consoleStart).toString() : '';
  }

  /** Waits until the console output of the current boot matches `pattern`. */
  async waitForConsole(pattern: RegExp, deadlineMs: number): Promise<RegExpMatchArray> {
    const end = Date.now() + deadlineMs;
    for (;;) {
      const match = this.consoleText().match(pattern);
      if (match) return match;
      if (!this.qemu) throw new Error(`${this.opts.name} stopped before the console showed ${pattern}`);
      if (Date.now() > end)
        throw new Error(`${this.opts.name}: no ${pattern} on the console within ${deadlineMs / 1000} s`);
      await new Promise((res) => setTimeout(res, 1000));
    }
  }

  /** Runs `command` over SSH with the real OpenSSH client; never rejects on a remote failure. */
  ssh(user: string, command: string, opts: SshOptions = {}): Promise<SshResult> {
    const port = (opts.tailnet ? this.tailnetPorts : this.ports)[opts.port ?? 22];
    if (port === undefined)
      throw new Error(`guest port ${opts.port ?? 22} is not forwarded${opts.tailnet ? ' through the tailnet' : ''}`);
    const reuse = opts.reuse
      ? ['ControlMaster=auto', `ControlPath=${join(this.qmpSocket, '..', '%C')}`, 'ControlPersist=300']
      : [];
    const args = [
      '-p',
      String(port),
      ...[...SSH_OPTIONS, ...reuse, ...(opts.options ?? [])].flatMap((o) => ['-o', o]),
      ...(opts.key ? ['-i', opts.key] : []),
      `${user}@127.0.0.1`,
      command,
    ];
    return new Promise((res, rej) => {
      // qemu accepts on the host side at once: a guest that drops the connection leaves ssh waiting
      // for a banner forever, which ConnectTimeout does not cover
      const child = spawn('ssh', args, {
        stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        timeout: opts.timeoutMs ?? 300_000,
      });
      if (opts.input !== undefined) child.stdin!.end(opts.input);
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (d: Buffer) => (stdout += d));
      child.stderr!.on('data', (d: Buffer) => (stderr += d));
      child.on('error', rej);
      child.on('close', (code) => res({ code: code ?? 255, stdout, stderr }));
    });
  }

  /** Clean shutdown through ACPI; a guest that ignores it for `timeoutMs` is killed. */
  async powerOff(timeoutMs = 180_000): Promise<void> {
    if (!this.qemu) return;
    await qmp(this.qmpSocket, 'system_powerdown').catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.exited!.then(() => false),
      new Promise<boolean>((res) => (timer = setTimeout(res, timeoutMs, true))),
    ]);
    // a pending timer would keep the test process alive for minutes after its last test
    clearTimeout(timer);
    if (timedOut) {
      await this.kill();
      throw new Error(`${this.opts.name} did not power off within ${timeoutMs / 1000} s; killed it`);
    }
  }

  /** Pulls the plug: whatever the guest had not flushed is lost. */
  async kill(): Promise<void> {
    if (!this.qemu) return;
    this.qemu.kill('SIGKILL');
    await this.exited;
  }

  /** A file from the guest's disk, read while the VM is off; undefined if it does not exist. */
  async readFile(path: string): Promise<string | undefined> {
    const { stdout, stderr } = await promisify(execFile)('debugfs', ['-R', `cat ${path}`, await this.rawDisk()], {
      maxBuffer: 1 << 28,
    });
    return /File not found/.test(stderr) ? undefined : stdout;
  }

  /** The overlay flattened to raw, so debugfs can read it without mounting anything. */
  private async rawDisk(): Promise<string> {
    if (this.qemu) throw new Error(`${this.opts.name} is running: power it off before reading its disk`);
    if (!this.raw) {
      this.raw = join(this.dir, 'disk.raw');
      await run('qemu-img', ['convert', '-O', 'raw', this.overlay, this.raw]);
    }
    return this.raw;
  }

  /**
   * Saves what explains a failure to `.cache/vm/failures/<name>-<time>/` (or `dir`) and prints the path:
   * console log, metadata requests, the npm registry's log, cloud-init, firstboot and fail2ban logs, status.json and the journal.
   */
  async keepArtifacts(
    dir = workPath('failures', `${this.opts.name}-${new Date().toISOString().replace(/[:.]/g, '-')}`),
  ): Promise<string> {
    mkdirSync(dir, { recursive: true });
    if (this.qemu) await this.powerOff(60_000).catch(() => undefined);
    if (existsSync(this.console)) writeFileSync(join(dir, 'console.log'), readFileSync(this.console));
    // Verdaccio's: every request the guest made of the npm registry
    if (existsSync(this.servers.registry.log))
      writeFileSync(join(dir, 'registry.log'), readFileSync(this.servers.registry.log));
    writeFileSync(join(dir, 'metadata-requests.log'), this.metadataRequests.join('\n'));
    for (const path of [
      '/var/log/cloud-init.log',
      '/var/log/cloud-init-output.log',
      '/var/lib/firstboot/status.json',
      '/var/log/firstboot.log',
      '/var/log/fail2ban.log',
    ]) {
      const text = await this.readFile(path).catch(() => undefined);
      if (text !== undefined) writeFileSync(join(dir, path.split('/').pop()!), text);
    }
    // read it with: journalctl -D DIR/journal
    await run('debugfs', ['-R', `rdump /var/log/journal ${dir}`, await this.rawDisk()]).catch(() => undefined);
    console.log(`# artifacts of ${this.opts.name}: ${dir}`);
    return dir;
  }

  /** Stops the VM and its servers and deletes the overlay. */
  async close(): Promise<void> {
    await this.kill();
    await Promise.all([this.servers.metadata.close(), this.servers.repo.close(), this.servers.registry.stop()]);
    rmSync(this.dir, { recursive: true, force: true });
    rmSync(join(this.qmpSocket, '..'), { recursive: true, force: true });
  }
}

export const bootVm = (opts: VmOptions): Promise<Vm> => Vm.boot(opts);
