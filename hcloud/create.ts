// firstboot create: the server, its SSH keys and firewall on Hetzner, and the ssh config and
// known_hosts entries on this machine, so the first connection is already trusted.
import { generate } from '../generator/generate';
import type { Plan } from '../contract/plan';
import { PIECES_PENDING } from '../contract/status';
import { resolveServerSpec } from './catalogue';
import { HcloudError, HcloudInputError, LeftBehindError } from './errors';
import { BRIDGE, mirrorUfwRules, sshBridgeRule, tailnetOnly } from './firewall-rules';
import { makeHostKey, replaceHostKey, type HostKeyPair } from './host-key';
import { instanceUserData, isFirstbootImage } from './instance-data';
import { addKnownHost, defaultKnownHosts, knownHostName } from './known-hosts';
import { applyPlan } from '../apply/apply';
import { loginOf, sshRunner, type RunRemote } from '../apply/ssh';
import { firstbootLabels } from './labels';
import { defaultSshConfig, userRoute, writeHostBlock } from './ssh-config';
import { ensureSshKeys } from './ssh-keys';
import { waitForPayload, type PayloadStatus, type RunSsh } from './ssh-wait';
import { checkServerInput, defaults, type ServerOptions } from './server-options';
import type { CreateServerResponse } from './types';
import { exists, progress, undoAll } from './server-actions';

/** `image` may be a snapshot `firstboot image` made from the same config: it then boots with a small per-instance user-data. */
export interface CreateOptions extends ServerOptions {
  /** also make a Hetzner Cloud Firewall mirroring the ufw rules */
  firewall?: boolean;
  /** wait until SSH answers with the host key, then for the payload's result */
  wait?: boolean;
  sshConfigPath?: string;
  knownHostsPath?: string;
  /** tests: a fixed host key instead of ssh-keygen, and ssh without a real server */
  makeHostKey?: (comment: string) => Promise<HostKeyPair>;
  runSsh?: RunSsh;
  /** the secrets the config names, sent over SSH after the wait (needs `wait`) */
  secrets?: Map<string, string>;
  /** tests: the apply run that sends the secrets, without a real server */
  runRemote?: RunRemote;
  waitIntervalMs?: number;
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
  status: PayloadStatus | undefined;
}

export async function create(options: CreateOptions): Promise<CreateResult> {
  const { client, name } = options;
  const report = options.report ?? (() => {});
  const sshConfigPath = options.sshConfigPath ?? defaultSshConfig();
  const knownHostsPath = options.knownHostsPath ?? defaultKnownHosts();

  // Everything that can fail without the API first: name and labels, config, then what the API offers.
  checkServerInput(name, options.labels);
  const taken = await userRoute(sshConfigPath, name);
  if (taken) {
    throw new HcloudInputError(
      `${sshConfigPath} already sends "ssh ${name}" to ${taken} (a Host block of yours, which would win over the one firstboot adds); remove it, or give the server another name`,
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
  const { plan, configHash } = generated;
  const { admin, sshPort } = loginOf(plan);
  const bridge = options.firewall ? sshBridgeRule(plan) : undefined;
  const { type, location, image } = await resolveServerSpec(client, options);
  // A firstboot image already holds the payload: the server gets only what is its own.
  const userData = isFirstbootImage(image) ? instanceUserData(image, plan, hostKey) : generated.userData;
  // Checked here so that a server found by this name after a lost answer below is surely ours.
  if ((await client.servers.list({ name })).length)
    throw new HcloudInputError(`a server named "${name}" already exists in this project`);

  const undo: (() => Promise<unknown>)[] = [];
  let created: CreateServerResponse;
  let firewall: CreateResult['firewall'];
  let keyNames: string[];
  try {
    const keys = await ensureSshKeys(client, adminKeys(plan), report);
    keyNames = keys.keys.map((k) => k.name);
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
    created = await client.servers.create({
      name,
      server_type: type.name,
      location: location.name,
      image: String(image.id),
      ssh_keys: keyNames,
      labels: firstbootLabels(plan.firstboot, configHash, options.labels),
      user_data: userData,
      ...(firewall && { firewalls: [{ firewall: firewall.id }] }),
    });
  } catch (error) {
    // A create whose answer was lost may still have made the server: look before undoing.
    const [made] =
      error instanceof HcloudError && (error.status === 0 || error.status! >= 500)
        ? await client.servers.list({ name }).catch(() => [])
        : [];
    if (made)
      throw new LeftBehindError(
        `server ${name} (id ${made.id}) may be only partly set up: ${(error as Error).message}\nto remove it:`,
        [`firstboot delete ${name} --yes`],
        error,
      );
    await undoAll(undo);
    throw error;
  }
  const { server } = created;

  const ipv4 = server.public_net.ipv4?.ip;
  const ipv6 = server.public_net.ipv6?.ip;
  let status: PayloadStatus | undefined;
  try {
    await client.waitForAction(created.action, { onProgress: progress(report) });
    report(`server ${name} (id ${server.id}) created: ${[ipv4, ipv6].filter(Boolean).join(' ')}`);
    // The host key goes into known_hosts before the server has even booted.
    if (ipv4) {
      await writeHostBlock(sshConfigPath, { name, hostName: ipv4, user: admin, port: sshPort });
      await addKnownHost(knownHostsPath, ipv4, sshPort, hostKey.public);
      report(`wrote Host ${name} to ${sshConfigPath} and its host key to ${knownHostsPath}`);
    }
    if (options.wait) {
      if (!ipv4) throw new Error('waiting needs an IPv4 address to reach the server');
      const waited = await waitForPayload({
        host: ipv4,
        port: sshPort,
        user: admin,
        knownHostsPath,
        report,
        runSsh: options.runSsh,
        intervalMs: options.waitIntervalMs,
        timeoutMs: options.waitTimeoutMs,
      });
      status = waited.status;
      await replaceHostKey(
        { host: ipv4, port: sshPort, via: waited.port, user: waited.user, knownHostsPath },
        options.runSsh,
      );
      report(`replaced the host key the user-data carried; ${knownHostsPath} has the new one`);
      let tailnet: string | undefined;
      // GeoIP waits for the owner's address: the run that follows records this login's (apply's start script);
      // steps whose code was not fetched get it from that run, which carries the whole payload
      const again =
        options.secrets?.size ||
        status.steps.some((st) => st.result === 'waiting' && (st.id === 'geoip' || st.error?.includes(PIECES_PENDING)));
      if (again && status.ok && waited.port === sshPort)
        ({ status, tailnet } = await sendSecrets(options, plan, ipv4, knownHostsPath, report));
      if (tailnet) {
        // sendSecrets' apply trusted the host key under this name too
        await writeHostBlock(sshConfigPath, { name, hostName: tailnet, user: admin, port: sshPort });
        report(`SSH goes through the tailnet only: Host ${name} in ${sshConfigPath} now leads to ${tailnet}`);
      }
      const moved = tailnetOnly(plan).join(' and ');
      if (firewall && (bridge || tailnet)) {
        if (status.ok && waited.port === sshPort) {
          await Promise.all(
            (await client.firewalls.setRules(firewall.id, mirrorUfwRules(plan, !!tailnet))).map((a) =>
              client.waitForAction(a),
            ),
          );
          report(
            tailnet
              ? `closed ${moved} in firewall ${firewall.name}: they go through the tailnet`
              : `closed port 22 in firewall ${firewall.name}: sshd answers on ${sshPort}`,
          );
        } else
          report(
            `firewall ${firewall.name} keeps port 22 open: ${status.ok ? `sshd answered on 22, not on ${sshPort}` : 'the payload failed, and sshd may still listen there'}`,
          );
      }
      if (firewall && !tailnet && moved) {
        report(
          `firewall ${firewall.name} keeps ${moved} open until a login through the server's tailnet name has worked: create --wait with the auth key does it; after an apply that did, remove those rules`,
        );
      }
    } else if (firewall && bridge) {
      report(
        `firewall ${firewall.name} keeps port 22 open until sshd has moved to ${sshPort}; once \`ssh ${name}\` works, close it: ${closeBridge(firewall.name)}`,
      );
    }
  } catch (error) {
    if (!(await exists(client, server.id))) {
      await undoAll(undo);
      throw error;
    }
    throw new LeftBehindError(
      `server ${name} (id ${server.id}, ${ipv4 ?? 'no IPv4'}) was created and still exists, but: ${(error as Error).message}\nto remove it:`,
      [`firstboot delete ${name} --yes`],
      error,
    );
  }

  return {
    server: {
      id: server.id,
      name,
      ipv4,
      ipv6,
      type: type.name,
      location: location.name,
      image: image.name ?? String(image.id),
    },
    admin,
    sshPort,
    configHash,
    sshKeys: keyNames,
    firewall,
    sshConfigPath,
    knownHostsPath,
    status,
  };
}

/**
 * The secrets (if any) over the admin's login, which the host key just replaced authenticates, then the
 * run again: the steps that waited for them, or for this login's address, converge; the rest change nothing.
 */
async function sendSecrets(
  options: CreateOptions,
  plan: Plan,
  ipv4: string,
  knownHostsPath: string,
  report: (m: string) => void,
): Promise<{ status: PayloadStatus; tailnet?: string }> {
  const { admin, sshPort } = loginOf(plan);
  const target = {
    name: ipv4,
    user: admin,
    hostname: ipv4,
    port: sshPort,
    hostKeyAlias: knownHostName(ipv4, sshPort),
    knownHosts: knownHostsPath,
  };
  const run =
    options.runRemote ??
    sshRunner(target, ['-o', `UserKnownHostsFile=${knownHostsPath}`, '-o', 'StrictHostKeyChecking=yes']);
  return applyPlan({
    target,
    plan,
    payload: options.payload,
    secrets: options.secrets ?? new Map(),
    run,
    report,
    print: (line) => report(`  ${line}`),
  });
}

/** the hcloud CLI command that removes the bridge rule by hand */
export const closeBridge = (firewall: string) =>
  `hcloud firewall delete-rule ${firewall} --direction in --protocol tcp --port 22 --source-ips 0.0.0.0/0 --source-ips ::/0 --description ${BRIDGE}`;

export function adminKeys(plan: Plan): string[] {
  const admin = plan.steps.find((s) => s.id === 'admin');
  return admin?.id === 'admin' ? admin.keys : [];
}
