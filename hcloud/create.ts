// firstboot create, in three steps: provision the server (its SSH keys and firewall on Hetzner, and the
// ssh config and known_hosts entries on this machine, so the first connection is already trusted);
// then, with --wait, follow the payload's run (./create-run.ts), trust the server's own host key in
// place of the one the user-data carried, and run the payload again where secrets or steps wait.
import { generate } from '../generator/generate';
import { loginOf, stepOf, type Plan } from '../contract/plan';
import { resolveServerSpec } from './catalogue';
import { HcloudError, LeftBehindError } from './api/errors';
import { BRIDGE, mirrorUfwRules, sshBridgeRule } from './firewall-rules';
import { makeHostKey, type HostKeyPair } from '../ssh/host-key';
import { instanceUserData, isFirstbootImage } from './instance-data';
import { addKnownHost, defaultKnownHosts, knownHostName } from '../ssh/known-hosts';
import type { RunRemote } from '../ssh/run';
import type { Target } from '../ssh/target';
import { firstbootLabels } from './labels';
import { defaultSshConfig, userRoute, writeHostBlock } from '../ssh/config';
import { ensureSshKeys } from './ssh-keys';
import type { Status } from '../contract/status';
import { waitUntilHardened } from './create-run';
import { checkServerInput, defaults, type ServerOptions } from './server-options';
import type { CreateServerResponse } from './api/types';
import { exists, progress, undoAll } from './server-actions';
import { Fail } from '../contract/fail';

/**
 * `image` may be a snapshot `firstboot image` made from the same config: it then boots with a small
 * per-instance user-data.
 */
export interface CreateOptions extends ServerOptions {
  /** also make a Hetzner Cloud Firewall mirroring the ufw rules */
  firewall?: boolean;
  /** wait until SSH answers with the host key, then for the payload's result */
  wait?: boolean;
  sshConfigPath?: string;
  knownHostsPath?: string;
  /** tests: a fixed host key instead of ssh-keygen */
  makeHostKey?: (comment: string) => Promise<HostKeyPair>;
  /** the secrets the config names, sent over SSH after the wait (needs `wait`) */
  secrets?: Map<string, string>;
  /** tests: ssh without a real server, and waits cut short */
  runRemote?: RunRemote;
  sleep?: (ms: number) => Promise<void>;
  /** how long the first boot may take (20 minutes) */
  waitTimeoutMs?: number;
}

export interface CreateResult {
  server: {
    id: number;
    name: string;
    ipv4: string | undefined;
    ipv6: string | undefined;
    type: string;
    location: string;
    image: string;
  };
  admin: string;
  sshPort: number;
  configHash: string;
  sshKeys: string[];
  firewall: { id: number; name: string } | undefined;
  sshConfigPath: string;
  knownHostsPath: string;
  /** the payload's result, with `wait` */
  status: Status | undefined;
}

export async function create(options: CreateOptions): Promise<CreateResult> {
  const made = await provision(options);
  const { firewall, bridge, report } = made;
  if (!options.wait) {
    if (firewall && bridge)
      report(
        `firewall ${firewall.name} keeps port 22 open until sshd has moved to ${made.sshPort}; once ` +
          `\`ssh ${made.name}\` works, close it: ${closeBridge(firewall.name)}`,
      );
    return resultOf(made, undefined);
  }
  return whileItExists(made, async () => resultOf(made, await waitUntilHardened(made, options)));
}

/** What provisioning made, for the steps after it. */
export interface Made {
  name: string;
  plan: Plan;
  configHash: string;
  admin: string;
  sshPort: number;
  server: CreateServerResponse['server'];
  type: string;
  location: string;
  image: string;
  keyNames: string[];
  firewall: CreateResult['firewall'];
  /** the edge rule that keeps port 22 open while sshd moves to another port */
  bridge: ReturnType<typeof sshBridgeRule>;
  /** the server as ssh reaches it: its IPv4, its key pinned in known_hosts under the plan's port */
  target: Target;
  sshConfigPath: string;
  knownHostsPath: string;
  undo: (() => Promise<unknown>)[];
  client: CreateOptions['client'];
  report: (message: string) => void;
}

/** Everything that can fail without a change at Hetzner: name and labels, config, what the API offers. */
async function prepare(options: CreateOptions, sshConfigPath: string) {
  const { client, name } = options;
  checkServerInput(name, options.labels);
  const taken = await userRoute(sshConfigPath, name);
  if (taken) {
    throw new Fail(
      `${sshConfigPath} already sends "ssh ${name}" to ${taken} (a Host block of yours, which would win ` +
        `over the one firstboot adds); remove it, or give the server another name`,
      2,
    );
  }
  const hostKey = await (options.makeHostKey ?? makeHostKey)(`firstboot host key for ${name}`);
  const generated = await generate({
    config: options.config,
    sshKeys: options.sshKeys,
    payload: options.payload,
    registry: options.registry,
    piecesFrom: options.piecesFrom,
    hostKey,
    mode: 'boot',
    image: options.image ?? defaults.image,
  });
  const { plan } = generated;
  const { type, location, image } = await resolveServerSpec(client, options);
  // A firstboot image already holds the payload: the server gets only what is its own.
  const userData = isFirstbootImage(image) ? instanceUserData(image, plan, hostKey) : generated.userData;
  // Checked here so that a server found by this name after a lost answer below is surely ours.
  if ((await client.servers.list({ name })).length)
    throw new Fail(`a server named "${name}" already exists in this project`, 2);
  const bridge = options.firewall ? sshBridgeRule(plan) : undefined;
  return { plan, configHash: generated.configHash, hostKey, userData, type, location, image, bridge };
}

/** The admin's SSH keys, the firewall and the server at Hetzner; what was made is removed if a step fails. */
async function makeAtHetzner(
  options: CreateOptions,
  { plan, configHash, userData, type, location, image, bridge }: Awaited<ReturnType<typeof prepare>>,
  report: (message: string) => void,
) {
  const { client, name } = options;
  const undo: (() => Promise<unknown>)[] = [];
  let firewall: CreateResult['firewall'];
  try {
    const keys = await ensureSshKeys(client, stepOf(plan, 'admin')?.keys ?? [], report);
    const keyNames = keys.keys.map((k) => k.name);
    for (const key of keys.uploaded) undo.push(() => client.sshKeys.delete(key.id));
    if (options.firewall) {
      // Made first and attached at creation, so the server is never reachable without it.
      const rules = bridge ? [...mirrorUfwRules(plan), bridge] : mirrorUfwRules(plan);
      const made = await client.firewalls.create({
        name: `firstboot-${name}`,
        labels: firstbootLabels(plan.firstboot, configHash),
        rules,
      });
      firewall = { id: made.firewall.id, name: made.firewall.name };
      undo.push(() => client.firewalls.delete(made.firewall.id));
      report(`made firewall ${made.firewall.name}`);
    }
    const created = await client.servers.create({
      name,
      server_type: type.name,
      location: location.name,
      image: String(image.id),
      ssh_keys: keyNames,
      labels: firstbootLabels(plan.firstboot, configHash, options.labels),
      user_data: userData,
      ...(firewall && { firewalls: [{ firewall: firewall.id }] }),
    });
    return { created, firewall, keyNames, undo };
  } catch (error) {
    // A create whose answer was lost may still have made the server: look before undoing.
    const [found] =
      error instanceof HcloudError && (error.status === 0 || error.status! >= 500)
        ? await client.servers.list({ name }).catch(() => [])
        : [];
    if (found)
      throw new LeftBehindError(
        `server ${name} (id ${found.id}) may be only partly set up: ${(error as Error).message}\nto remove it:`,
        [`firstboot delete ${name} --yes`],
        error,
      );
    await undoAll(undo);
    throw error;
  }
}

/**
 * The server, its keys and its firewall, undone if the create fails; once it runs, its Host block and
 * pinned host key on this machine.
 */
async function provision(options: CreateOptions): Promise<Made> {
  const { client, name } = options;
  const report = options.report ?? (() => {});
  const sshConfigPath = options.sshConfigPath ?? defaultSshConfig();
  const knownHostsPath = options.knownHostsPath ?? defaultKnownHosts();
  const prepared = await prepare(options, sshConfigPath);
  const { plan, configHash, hostKey, type, location, image, bridge } = prepared;
  const { admin, sshPort } = loginOf(plan);
  const { created, firewall, keyNames, undo } = await makeAtHetzner(options, prepared, report);
  const { server } = created;
  const ipv4 = server.public_net.ipv4?.ip;
  const made: Made = {
    name,
    plan,
    configHash,
    admin,
    sshPort,
    server,
    type: type.name,
    location: location.name,
    image: image.name ?? String(image.id),
    keyNames,
    firewall,
    bridge,
    target: {
      name: ipv4 ?? '',
      user: admin,
      hostname: ipv4 ?? '',
      port: sshPort,
      hostKeyAlias: knownHostName(ipv4 ?? '', sshPort),
      knownHosts: knownHostsPath,
      pinned: true,
    },
    sshConfigPath,
    knownHostsPath,
    undo,
    client,
    report,
  };
  return whileItExists(made, async () => {
    await client.waitForAction(created.action, { onProgress: progress(report) });
    report(`server ${name} (id ${server.id}) created: ${[ipv4, server.public_net.ipv6?.ip].filter(Boolean).join(' ')}`);
    // The host key goes into known_hosts before the server has even booted.
    if (ipv4) {
      await writeHostBlock(sshConfigPath, { name, hostName: ipv4, user: admin, port: sshPort });
      await addKnownHost(knownHostsPath, ipv4, sshPort, hostKey.public);
      report(`wrote Host ${name} to ${sshConfigPath} and its host key to ${knownHostsPath}`);
    }
    return made;
  });
}

/** Runs `step`; if it fails, undoes what was made when the server is gone, or says it was left behind. */
async function whileItExists<T>(made: Made, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (!(await exists(made.client, made.server.id))) {
      await undoAll(made.undo);
      throw error;
    }
    throw new LeftBehindError(
      `server ${made.name} (id ${made.server.id}, ${made.server.public_net.ipv4?.ip ?? 'no IPv4'}) was ` +
        `created and still exists, but: ${(error as Error).message}\nto remove it:`,
      [`firstboot delete ${made.name} --yes`],
      error,
    );
  }
}

function resultOf(made: Made, status: Status | undefined): CreateResult {
  const { server } = made;
  return {
    server: {
      id: server.id,
      name: made.name,
      ipv4: server.public_net.ipv4?.ip,
      ipv6: server.public_net.ipv6?.ip,
      type: made.type,
      location: made.location,
      image: made.image,
    },
    admin: made.admin,
    sshPort: made.sshPort,
    configHash: made.configHash,
    sshKeys: made.keyNames,
    firewall: made.firewall,
    sshConfigPath: made.sshConfigPath,
    knownHostsPath: made.knownHostsPath,
    status,
  };
}

/** the hcloud CLI command that removes the bridge rule by hand */
export const closeBridge = (firewall: string) =>
  `hcloud firewall delete-rule ${firewall} --direction in --protocol tcp --port 22 --source-ips 0.0.0.0/0 ` +
  `--source-ips ::/0 --description ${BRIDGE}`;
