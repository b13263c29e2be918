import type { HcloudClient } from './api/client';
import { versionLabel } from './labels';
import type { Server } from './api/types';
import { Fail } from '../contract/fail';

/** A server by name, and only one firstboot made: the commands never touch anything else. */
export async function findFirstbootServer(client: HcloudClient, name: string): Promise<Server> {
  const [server] = await client.servers.list({ name });
  if (!server) throw new Fail(`no server named "${name}" in this project`, 2);
  if (!(versionLabel in server.labels)) {
    throw new Fail(
      `server "${name}" was not made by firstboot (no ${versionLabel} label); use the hcloud CLI for it`,
      2,
    );
  }
  return server;
}
