// firstboot rescale: another server type for the same disk and addresses. The server has to be off
// for change_type; whatever happens, it ends in the power state it started in.
import { resolveServerType } from './catalogue';
import type { HcloudClient } from './api/client';
import { findFirstbootServer } from './find-server';
import { progress } from './server-actions';
import { Fail } from '../contract/fail';

export interface RescaleOptions {
  client: HcloudClient;
  name: string;
  type: string;
  /** Grow the disk too; it can then never go back to a smaller type. */
  upgradeDisk?: boolean;
  report?: (message: string) => void;
  /** How long a graceful shutdown may take before the power is cut. */
  shutdownTimeoutMs?: number;
  pollIntervalMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface RescaleResult {
  server: { id: number; name: string };
  from: string;
  to: string;
  running: boolean;
}

export async function rescale(options: RescaleOptions): Promise<RescaleResult> {
  const { client, name } = options;
  const report = options.report ?? (() => {});
  const server = await findFirstbootServer(client, name);
  const target = await resolveServerType(client, options.type);
  const from = server.server_type;
  if (target.name === from.name) throw new Fail(`server ${name} is already ${from.name}`, 2);
  if (target.architecture !== from.architecture) {
    throw new Fail(
      `server ${name} is ${from.architecture} (${from.name}) and ${target.name} ` +
        `is ${target.architecture}: its disk would not boot; make a new server instead`,
      2,
    );
  }
  const wasRunning = server.status !== 'off';
  const wait = (action: Parameters<HcloudClient['waitForAction']>[0]) =>
    client.waitForAction(action, { onProgress: progress(report) });

  if (wasRunning) await stop(options, server.id, report);
  try {
    await wait(
      await client.servers.changeType(server.id, {
        server_type: target.name,
        upgrade_disk: options.upgradeDisk ?? false,
      }),
    );
    report(`server ${name} is now ${target.name}`);
  } catch (error) {
    if (wasRunning) {
      report(`change_type failed; powering ${name} back on as ${from.name}`);
      await wait(await client.servers.powerOn(server.id));
    }
    throw error;
  }
  if (wasRunning) await wait(await client.servers.powerOn(server.id));
  return { server: { id: server.id, name }, from: from.name, to: target.name, running: wasRunning };
}

/** ACPI shutdown first so services stop cleanly; power off if the OS does not react in time. */
async function stop(options: RescaleOptions, id: number, report: (m: string) => void): Promise<void> {
  const { client } = options;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const interval = options.pollIntervalMs ?? 2_000;
  report('shutting down');
  await client.waitForAction(await client.servers.shutdown(id));
  for (let waited = 0; waited < (options.shutdownTimeoutMs ?? 60_000); waited += interval) {
    if ((await client.servers.get(id)).status === 'off') return;
    await sleep(interval);
  }
  report('no clean shutdown in time; powering off');
  await client.waitForAction(await client.servers.powerOff(id), { onProgress: progress(report) });
}
