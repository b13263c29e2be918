// firstboot wait: for a server made elsewhere (hcloud, Terraform, the console) from firstboot's
// user-data. The host key is checked under the name `generate --host-key` pinned it under (the address
// was not known then); the first boot's run is followed to its end as create --wait follows it; the
// key the user-data carried is replaced; the Host block is written, or proposed when there is no name.
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { loginOf, type Plan } from '../contract/plan';
import type { Status } from '../contract/status';
import type { Payload } from '../generator/render';
import { CARRIED, fingerprint } from '../ssh/host-key';
import { defaultKnownHosts, knownKeys, knownLines } from '../ssh/known-hosts';
import { defaultSshConfig, hostBlock, userRoute, writeHostBlock, type HostEntry } from '../ssh/config';
import { sshRunner, type Login, type RunRemote } from '../ssh/run';
import type { Target } from '../ssh/target';
import { Fail } from '../contract/fail';
import { bootLogins, endLogins, followBoot, runAgain, trustOwnHostKey, type Server } from './first-boot';

export interface WaitOptions {
  address: string;
  /** the name the host key is pinned under in known_hosts, and the Host block's */
  as?: string;
  plan: Plan;
  /** with no key pinned: trust the first ed25519 key the server answers with */
  trustFirstKey?: boolean;
  secrets: Map<string, string>;
  report: (message: string) => void;
  knownHostsPath?: string;
  sshConfigPath?: string;
  payload?: Payload;
  /** tests: ssh without a real server, and waits cut short */
  run?: RunRemote;
  sleep?: (ms: number) => Promise<void>;
  timeoutMs?: number;
}

export interface WaitResult {
  status: Status;
  login: Login;
  /** the Host block written, or (without a name, or with one of the user's own) the one to add, and why */
  hostBlock: { written: boolean; path: string; text: string; why?: string };
}

/**
 * Which logins, in which order. A key the user-data carried (or none yet) says nothing of how far the
 * server is: the first boot's order, root on 22 first, as create --wait logs in. Any other pinned key
 * is one a wait has already replaced, or one the user trusts from a server they know: the admin first,
 * since every try as root on a hardened server is a failed login that fail2ban counts.
 */
export async function waitFor(o: WaitOptions): Promise<WaitResult> {
  const knownHosts = o.knownHostsPath ?? defaultKnownHosts();
  const name = o.as ?? o.address;
  const lines = await knownLines(knownHosts, name);
  if (!lines.length && !o.trustFirstKey) throw new Fail(unpinned(knownHosts, name, o.address), 2);
  const carried = lines.some((line) => line.trim().endsWith(` ${CARRIED}`));
  // where ssh's accept-new writes the first key: it does not make the folder
  if (!lines.length) await mkdir(dirname(knownHosts), { recursive: true, mode: 0o700 });
  const { admin, sshPort } = loginOf(o.plan);
  const target: Target = {
    name: o.address,
    user: admin,
    hostname: o.address,
    port: sshPort,
    hostKeyAlias: name,
    knownHosts,
    pinned: true,
    ...(!lines.length && { trustFirst: true }),
  };
  const server: Server = { plan: o.plan, target, run: o.run ?? sshRunner(target), report: o.report, sleep: o.sleep };
  const early = carried || !lines.length;
  const boot = await followBoot(server, o.timeoutMs, early ? bootLogins(o.plan) : endLogins(o.plan)).finally(
    // said even when the follow fails: the key is trusted from the first answer on
    async () => {
      const [key] = lines.length ? [] : await knownKeys(knownHosts, name);
      if (key)
        o.report(
          `trusted the first host key ${o.address} answered with, as ${name} in ${knownHosts}: ` +
            `ED25519 ${fingerprint(key)}`,
        );
    },
  );
  if (carried) await trustOwnHostKey(server, boot.login);
  const end = await runAgain(server, boot, o);
  const entry = { name, hostName: end.tailnet ?? o.address, user: boot.login.user, port: boot.login.port };
  return { status: end.status, login: boot.login, hostBlock: await placeHostBlock(o, entry) };
}

const unpinned = (knownHosts: string, name: string, address: string) =>
  `${knownHosts} has no host key for ${name}, so nothing proves the server at ${address} is the one ` +
  `your user-data made. Generate the user-data with --host-key NAME and wait with --as NAME; or, to ` +
  `trust whatever key the server answers with first, --trust-first-key`;

/** Host NAME, written unless the user's own config sends NAME elsewhere; without --as, proposed. */
async function placeHostBlock(o: WaitOptions, entry: HostEntry): Promise<WaitResult['hostBlock']> {
  const path = o.sshConfigPath ?? defaultSshConfig();
  // a block to paste: without the markers that let firstboot find its own
  const proposed = (block: HostEntry, why: string) => ({
    written: false,
    path,
    text: hostBlock(block).replace(/^#.*\n/gm, ''),
    why,
  });
  if (!o.as) return proposed({ ...entry, name: 'NAME', hostKeyAlias: entry.name }, 'no --as NAME was given');
  const block = { ...entry, hostKeyAlias: o.as };
  const taken = await userRoute(path, o.as);
  if (taken) return proposed(block, `a Host block of yours sends "ssh ${o.as}" to ${taken}`);
  await writeHostBlock(path, block);
  return { written: true, path, text: hostBlock(block) };
}
