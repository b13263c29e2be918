import type { HcloudClient } from './api/client';
import { configLabel, versionLabel } from './labels';
import type { Server } from './api/types';

export interface ListedServer {
  id: number;
  name: string;
  status: Server['status'];
  ipv4: string | undefined;
  ipv6: string | undefined;
  type: string;
  location: string;
  firstbootVersion: string;
  configHash: string | undefined;
  created: string;
}

/** The servers firstboot made in this project, found by their version label. */
export async function list(options: { client: HcloudClient }): Promise<ListedServer[]> {
  const servers = await options.client.servers.list({ label_selector: versionLabel });
  return servers.map((s) => ({
    id: s.id,
    name: s.name,
    status: s.status,
    ipv4: s.public_net.ipv4?.ip,
    ipv6: s.public_net.ipv6?.ip,
    type: s.server_type.name,
    location: s.location.name,
    firstbootVersion: s.labels[versionLabel]!,
    configHash: s.labels[configLabel],
    created: s.created,
  }));
}
