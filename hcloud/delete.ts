// firstboot delete: the server and what firstboot made for it, on Hetzner and on this machine.
import type { HcloudClient } from './api/client';
import { defaultKnownHosts, removeKnownHost } from '../ssh/known-hosts';
import { findFirstbootServer } from './find-server';
import { defaultSshConfig, removeHostBlock } from '../ssh/config';
import { progress } from './server-actions';

export interface DeleteOptions {
  client: HcloudClient;
  name: string;
  /** skip the question */
  yes?: boolean;
  /** asked unless `yes`; the CLI has the user type the name. Resolving false cancels. */
  confirm?: (server: { id: number; name: string; ipv4: string | undefined }) => Promise<boolean>;
  report?: (message: string) => void;
  sshConfigPath?: string;
  knownHostsPath?: string;
}

export interface DeleteResult {
  deleted: boolean;
  server: { id: number; name: string };
  firewall: number | undefined;
  sshConfigBlockRemoved: boolean;
}

export async function deleteServer(options: DeleteOptions): Promise<DeleteResult> {
  const { client, name } = options;
  const report = options.report ?? (() => {});
  const server = await findFirstbootServer(client, name);
  const ipv4 = server.public_net.ipv4?.ip;
  if (!options.yes) {
    if (!options.confirm) throw new Error('refusing to delete without confirmation: pass yes or a confirm callback');
    if (!(await options.confirm({ id: server.id, name: server.name, ipv4 }))) {
      return { deleted: false, server: { id: server.id, name }, firewall: undefined, sshConfigBlockRemoved: false };
    }
  }

  await client.waitForAction(await client.servers.delete(server.id), { onProgress: progress(report) });
  report(`deleted server ${name} (id ${server.id})`);

  // The firewall can only go once the server no longer uses it.
  const [firewall] = await client.firewalls.list({ name: `firstboot-${name}` });
  if (firewall) {
    await client.firewalls.delete(firewall.id);
    report(`deleted firewall ${firewall.name}`);
  }

  const block = await removeHostBlock(options.sshConfigPath ?? defaultSshConfig(), name);
  // the block may lead to the server's tailnet name; its public address was trusted too
  for (const host of new Set([block?.hostName, ipv4].filter((h): h is string => !!h))) {
    await removeKnownHost(options.knownHostsPath ?? defaultKnownHosts(), host, block?.port ?? 22);
  }
  return { deleted: true, server: { id: server.id, name }, firewall: firewall?.id, sshConfigBlockRemoved: !!block };
}
