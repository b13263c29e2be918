// A stand-in for Hetzner's metadata service, which cloud-init's Hetzner datasource reads at
// http://169.254.169.254/hetzner/v1/ (the VM reaches this server through a guestfwd).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import yaml from 'js-yaml';

export interface MetadataOptions {
  /** must equal the SMBIOS serial the VM boots with, or cloud-init refuses the datasource */
  instanceId: string;
  hostname: string;
  /** the user_data exactly as Hetzner would hand it out (cloud-init base64-decodes it if it can) */
  userData: string | Buffer;
  publicKeys: string[];
  /** the VM's NIC; network-config names it eth0 with DHCP for IPv4 and a static IPv6, as Hetzner's does */
  mac: string;
}

export interface MetadataServer {
  port: number;
  /** "GET /hetzner/v1/... 200", in arrival order */
  requests: string[];
  close(): Promise<void>;
}

/** the VM's public IPv6 address (a documentation prefix) */
export const VM_IPV6 = '2001:db8:0:1::1';

/** Hetzner's metadata document: YAML, numeric instance-id, network-config version 1. */
export function metadataDocument(opts: MetadataOptions): Record<string, unknown> {
  return {
    hostname: opts.hostname,
    'instance-id': Number(opts.instanceId),
    'local-ipv4': '',
    'public-ipv4': '169.254.0.15',
    'availability-zone': 'fsn1-dc14',
    region: 'eu-central',
    'public-keys': opts.publicKeys,
    'network-config': {
      version: 1,
      // Hetzner's shape: IPv6 static, its gateway fe80::1, nothing from router advertisements (the VM's
      // IPv6 leads nowhere: qemu's network has none, so the address is the server's own only)
      config: [
        {
          type: 'physical',
          name: 'eth0',
          mac_address: opts.mac,
          subnets: [
            { type: 'dhcp', ipv4: true },
            { type: 'static', ipv6: true, address: `${VM_IPV6}/64`, gateway: 'fe80::1' },
          ],
        },
      ],
    },
  };
}

export async function startMetadata(
  opts: MetadataOptions,
  log: (line: string) => void = () => {},
): Promise<MetadataServer> {
  const doc = metadataDocument(opts);
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname.replace(/\/+$/, '');
    let body: string | Buffer | undefined;
    if (path === '/hetzner/v1/userdata') body = opts.userData;
    else if (path === '/hetzner/v1/metadata') body = yaml.dump(doc);
    else if (path === '/hetzner/v1/metadata/private-networks') body = yaml.dump([]);
    else if (path.startsWith('/hetzner/v1/metadata/')) {
      const value = doc[path.slice('/hetzner/v1/metadata/'.length)];
      if (value !== undefined) body = typeof value === 'object' ? yaml.dump(value) : String(value);
    }
    const line = `${req.method} ${req.url} ${body === undefined ? 404 : 200}`;
    requests.push(line);
    log(line);
    if (body === undefined) res.writeHead(404).end();
    else res.writeHead(200, { 'content-type': 'text/plain' }).end(body);
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    close: () =>
      new Promise((res) => {
        server.closeAllConnections();
        server.close(() => res());
      }),
  };
}
