import type { HcloudClient } from './client';
import { HcloudInputError } from './errors';
import { versionLabel } from './labels';
import type { Server } from './types';

/** A server by name, and only one firstboot made: the commands never touch anything else. */
export async function findFirstbootServer(client: HcloudClient, name: string): Promise<Server> {
  const [server] = await client.servers.list({ name });
  if (!server) throw new HcloudInputError(`no server named "${name}" in this project`);
  if (!(versionLabel in server.labels)) {
    throw new HcloudInputError(
      `server "${name}" was not made by firstboot (no ${versionLabel} label); use the hcloud CLI for it`,
    );
  }
  return server;
}
