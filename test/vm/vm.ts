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
import { buildImage } from './image';
import { startMetadata, type MetadataServer } from './metadata';
import { qmp } from './qmp';
import { startVmRegistry } from './npm';
import { buildRepo, serveRepo, type Served } from './repo';
import type { Registry } from '../registry';
import { machine } from './arch';
import type { Arch } from './packages';
import { MAC, qemuArgs } from './qemu-args';
import { type VmOptions, type SshResult, type SshOptions } from './vm-options';

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
  readonly qmpSocket: string;
  readonly overlay: string;

  private constructor(
    readonly opts: VmOptions & { arch: Arch },
    readonly dir: string,
    private readonly qemuArgs: (vm: Vm) => string[],
    private readonly servers: { metadata: MetadataServer; repo: Served; registry: Registry },
  ) {
    this.console = join(dir, 'console.log');
    this.overlay = join(dir, 'overlay.qcow2');
    this.qmpSocket = join(mkdtempSync(join(tmpdir(), 'qmp-')), 'qmp.sock');
  }

  static async boot(given: VmOptions): Promise<Vm> {
    const opts = { ...given, arch: given.arch ?? 'amd64' };
    const { arch } = opts;
    const image = await buildImage({ suite: opts.suite, sshSocket: opts.sshSocket, minimal: opts.minimal, arch });
    const repo = await serveRepo({ '/': await buildRepo(opts.suite, arch), ...opts.served });
    const registry = await startVmRegistry(opts.publish, arch);
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
      (v) => qemuArgs(v, { opts, guestPorts, image, instanceId, metadata, repo, registry }),
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
    const qemu = spawn(machine(this.opts.arch).qemu, this.qemuArgs(this), {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
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
   * console log, metadata requests, the npm registry's log, cloud-init,
   * firstboot and fail2ban logs, status.json and the journal.
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
