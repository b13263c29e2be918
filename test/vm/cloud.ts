// The fake Hetzner Cloud API with VMs behind it: each server the API creates boots in qemu with the
// user_data the API received, and powers "off" in the API when the guest powers itself off. The real
// CLI runs against it as a user would; only the route to the server's address is the test's (route.ts).
import { startFakeHcloud, type FakeHcloud, type FakeServer } from '../fakes/hcloud-api';
import type { KeyPair } from './userdata';
import type { Suite } from './packages';
import { bootVm, type Vm } from './vm';
import { VM_REGISTRY } from './npm';
import { sshRoute } from './route';

export interface CloudVm {
  server: FakeServer;
  userData: string;
  vm: Vm;
}

export interface Cloud {
  fake: FakeHcloud;
  /** the VM of every server created so far, in order */
  vms: CloudVm[];
  home: string;
  /** HOME and PATH of the user's machine: its ssh reaches the servers' addresses */
  env: NodeJS.ProcessEnv;
  /** runs `firstboot ARGS` as a user with HCLOUD_TOKEN and HCLOUD_ENDPOINT set; never rejects */
  cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  close(): Promise<void>;
}

export interface CloudOptions {
  suite: Suite;
  key: KeyPair;
  /** what each VM forwards (the SSH ports the config uses) */
  guestPorts: number[];
}

/** Starts the cloud, runs `body`, keeps every VM's artifacts if it throws, and always cleans up (as withVm). */
export async function withCloud(opts: CloudOptions, body: (cloud: Cloud) => Promise<void>): Promise<void> {
  const cloud = await startCloud(opts);
  try {
    await body(cloud);
  } catch (error) {
    for (const { vm } of cloud.vms)
      await vm.keepArtifacts().catch((e: Error) => console.log(`# keeping artifacts failed: ${e.message}`));
    throw error;
  } finally {
    await cloud.close();
  }
}

async function startCloud(opts: CloudOptions): Promise<Cloud> {
  const route = await sshRoute(opts.key);
  const vms: CloudVm[] = [];
  const failures: Error[] = [];

  const fake = await startFakeHcloud({
    onServerCreated: (server, userData) =>
      boot(server, userData).catch((error: Error) => {
        console.log(`# booting ${server.name} failed: ${error.stack}`);
        failures.push(error);
      }),
  });
  async function boot(server: FakeServer, userData: string | undefined): Promise<void> {
    // the metadata's public-keys are the project keys named at creation, as Hetzner gives root
    const publicKeys = server.sshKeys.map((id) => fake.sshKeys.get(id)!.public_key);
    const vm = await bootVm({
      name: server.name,
      suite: opts.suite,
      userData: userData ?? '',
      hostPorts: opts.guestPorts,
      publicKeys,
    });
    vms.push({ server, userData: userData ?? '', vm });
    route.add(server.ipv4, vm, opts.guestPorts);
    // a guest that powers itself off (image mode) is "off" to the API, as on Hetzner
    while (vm.running) await new Promise((res) => setTimeout(res, 2000));
    if (fake.servers.has(server.id)) fake.setServerStatus(server.id, 'off');
  }

  // npm's own setting names the registry: the local one, which the guest reaches as it does the apt repository
  const env = { HCLOUD_TOKEN: fake.token, HCLOUD_ENDPOINT: fake.url, npm_config_registry: VM_REGISTRY };
  return {
    fake,
    vms,
    home: route.home,
    env: route.env,
    cli: (args) => route.cli(args, env),
    async close() {
      await Promise.all(vms.map(({ vm }) => vm.close()));
      await fake.close();
      if (failures.length) throw failures[0];
    },
  };
}
