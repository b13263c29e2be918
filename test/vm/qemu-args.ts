// qemu's command line for a VM (vm.ts): TCG and the machine of the guest's architecture (arch.ts), the image's
// kernel and initrd, the overlay, Hetzner's SMBIOS, a network restricted to the forwards and the host's services
// the guest may reach, and the stand-in tailnet.
import { machine } from './arch';
import type { Arch } from './packages';
import { REPO_ADDRESS, type Image } from './image';
import type { MetadataServer } from './metadata';
import { REGISTRY_PORT } from './npm';
import type { Served } from './repo';
import type { Registry } from '../registry';
import { TAILNET } from './tailscale-package';
import type { Vm } from './vm';
import type { VmOptions } from './vm-options';

export const MAC = '96:00:00:00:00:01';
const METADATA_ADDRESS = '169.254.169.254';
const RELAY = new URL('./relay.mjs', import.meta.url).pathname;

export interface QemuInputs {
  opts: VmOptions & { arch: Arch };
  guestPorts: number[];
  image: Image;
  instanceId: string;
  metadata: MetadataServer;
  repo: Served;
  registry: Registry;
}

export function qemuArgs(
  v: Vm,
  { opts, guestPorts, image, instanceId, metadata, repo, registry }: QemuInputs,
): string[] {
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
  const m = machine(opts.arch);
  return [
    '-name',
    opts.name,
    ...m.args,
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
    `root=LABEL=root rw console=${m.console} net.ifnames=0`,
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
}
