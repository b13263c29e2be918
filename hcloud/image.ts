// firstboot image: a golden snapshot. A builder server runs the payload in image mode, which clears
// per-instance state and powers off; the snapshot is taken through the API (no SSH) and the builder
// is deleted, whatever happened.
import { stepOf } from '../contract/plan';
import { generate } from '../generator/generate';
import { resolveServerSpec } from './catalogue';
import { HcloudError, LeftBehindError } from './api/errors';
import { firstbootLabels } from './labels';
import { ensureSshKeys } from './ssh-keys';
import { checkServerInput, defaults, type ServerOptions } from './server-options';
import { exists, progress, undoAll } from './server-actions';
import type { Labels } from './api/types';

/** `name` is the snapshot's description, and the builder's name with "-builder"; `image` the base to build on. */
export interface ImageOptions extends ServerOptions {
  /** polling for the builder to power itself off; the payload installs packages first */
  pollIntervalMs?: number;
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export interface ImageResult {
  imageId: number;
  description: string;
  configHash: string;
  labels: Labels;
}

export async function buildImage(options: ImageOptions): Promise<ImageResult> {
  const { client } = options;
  const report = options.report ?? (() => {});
  checkServerInput(`${options.name}-builder`, options.labels);
  const { userData, plan, configHash } = await generate({
    config: options.config,
    sshKeys: options.sshKeys,
    payload: options.payload,
    registry: options.registry,
    piecesFrom: options.piecesFrom,
    mode: 'image',
    image: options.image ?? defaults.image,
  });
  const { type, location, image: base } = await resolveServerSpec(client, options);
  const labels = firstbootLabels(plan.firstboot, configHash, options.labels);
  const builderName = `${options.name}-builder`;

  const undo: (() => Promise<unknown>)[] = [];
  // Keys given at creation keep Hetzner from mailing a root password for a throwaway server.
  const keys = await ensureSshKeys(client, stepOf(plan, 'admin')?.keys ?? [], report);
  for (const key of keys.uploaded) undo.push(() => client.sshKeys.delete(key.id));
  let builderId: number | undefined;
  try {
    const created = await client.servers.create({
      name: builderName,
      server_type: type.name,
      location: location.name,
      image: String(base.id),
      ssh_keys: keys.keys.map((k) => k.name),
      labels: { ...labels, 'firstboot-role': 'image-builder' },
      user_data: userData,
    });
    builderId = created.server.id;
    await client.waitForAction(created.action, { onProgress: progress(report) });
    report(`builder ${builderName} (id ${builderId}) is running the payload; waiting for it to power off`);
    await waitUntilOff(options, builderId);

    const snapshot = await client.servers.createImage(builderId, {
      type: 'snapshot',
      description: options.name,
      labels,
    });
    await client.waitForAction(snapshot.action, { onProgress: progress(report) });
    report(`snapshot ${snapshot.image.id} made`);
    await client.waitForAction(await client.servers.delete(builderId));
    report(`deleted builder ${builderName}`);
    return { imageId: snapshot.image.id, description: options.name, configHash, labels };
  } catch (error) {
    if (builderId !== undefined && (await exists(client, builderId))) {
      const deleted = await client.servers
        .delete(builderId)
        .then((a) => client.waitForAction(a))
        .then(
          () => true,
          () => false,
        );
      if (!deleted) {
        throw new LeftBehindError(
          `the image failed (${(error as Error).message}) and the builder ${builderName} ` +
            `(id ${builderId}) could not be deleted; remove it with:`,
          [`hcloud server delete ${builderId}`],
          error,
        );
      }
      report(`deleted builder ${builderName} after the failure`);
    }
    await undoAll(undo);
    throw error;
  }
}

async function waitUntilOff(options: ImageOptions, id: number): Promise<void> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = options.now ?? Date.now;
  const deadline = now() + (options.timeoutMs ?? 30 * 60_000);
  for (;;) {
    const { status } = await options.client.servers.get(id);
    if (status === 'off') return;
    if (now() > deadline) {
      throw new HcloudError({
        code: 'timeout',
        message: `the builder did not power off in time (status ${status}); the payload may have failed`,
      });
    }
    await sleep(options.pollIntervalMs ?? 10_000);
  }
}
