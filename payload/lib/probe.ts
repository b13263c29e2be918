// Whether sshd answers a client, asked the way a client asks: from a network namespace joined to this
// host by a veth pair, so the packets arrive on an interface and cross INPUT, where the firewall's
// rules apply. A probe over loopback, which ufw always lets through, would prove nothing. Once SSH goes
// through the tailnet only, no packet can be made to arrive on tailscale0 (tailscaled owns it): then the
// proof is sshd answering on the node's tailnet address, beside ufw's rule for tailscale0.
import type { Shell } from './shell';
import type { Fs } from './fs';
import { SERVER_PATHS } from '../../contract/paths';
import { TAILNET_INTERFACE } from '../../contract/firewall-names';

const NS = 'firstboot-probe';
// RFC 2544's benchmarking range: no network a server is attached to uses it
const HOST = '198.18.255.253';
/** where the probe connects from; fail2ban ignores it, so a probe never bans itself */
export const PROBE_CLIENT = '198.18.255.254';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What sshd announced in an ssh-keyscan answer ("" when it did not say), or undefined without one. */
async function keyscan($: Shell, port: number, host: string, netns: string[] = []): Promise<string | undefined> {
  const scan = await $({
    nothrow: true,
  })`${[...netns, 'ssh-keyscan', '-T', '5', '-p', String(port), '-t', 'ed25519', host]}`;
  // ssh-keyscan comments each answer on stderr: "# HOST:PORT SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3"
  return scan.stdout.includes('ssh-ed25519') ? (/^# \S+ (SSH-.*)$/m.exec(scan.stderr)?.[1].trim() ?? '') : undefined;
}

/** The node's IPv4 address on the tailnet interface, if it has one */
export async function tailnetAddress($: Shell): Promise<string | undefined> {
  return /\binet (\d+\.\d+\.\d+\.\d+)\//.exec(
    (await $({ nothrow: true })`ip -4 -o address show dev ${TAILNET_INTERFACE}`).stdout,
  )?.[1];
}

/** Every address (IPv4 and IPv6) of the node on the tailnet interface */
async function tailnetAddresses($: Shell): Promise<string[]> {
  return [
    ...(await $({ nothrow: true })`ip -o address show dev ${TAILNET_INTERFACE}`).stdout.matchAll(
      /\binet6? ([0-9a-f.:]+)\//g,
    ),
  ].map((m) => m[1]);
}

/**
 * Whether the owner has logged in through the tailnet: apply, logged in through the node's tailnet name,
 * wrote that login's SSH_CONNECTION ("client port server port") into a root-only file. It counts only
 * where the server end is one of this node's tailnet addresses, so a file written over public SSH (the
 * name resolved to the public address) proves nothing.
 */
export async function tailnetLoginProven($: Shell, fs: Fs): Promise<boolean> {
  const server = ((await fs.read(SERVER_PATHS.tailnetLogin)) ?? '').trim().split(/\s+/)[2];
  return !!server && (await tailnetAddresses($)).includes(server);
}

/** Tries a key exchange with sshd on the node's tailnet address until one succeeds (see sshAnswersFromOutside). */
export async function sshAnswersOnTailnet(
  $: Shell,
  port: number,
  tries: number,
  pauseMs: number,
): Promise<string | undefined> {
  for (let i = 0; i < tries; i++) {
    const address = await tailnetAddress($);
    const banner = address === undefined ? undefined : await keyscan($, port, address);
    if (banner !== undefined) return banner;
    await sleep(pauseMs);
  }
  return undefined;
}

/**
 * Tries a key exchange with sshd on `port` from outside loopback until one succeeds. Returns what sshd
 * announced itself as ("SSH-2.0-OpenSSH_9.2p1", "" when ssh-keyscan did not say), or undefined when it
 * never answered.
 */
export async function sshAnswersFromOutside(
  $: Shell,
  port: number,
  tries: number,
  pauseMs: number,
): Promise<string | undefined> {
  const remove = () => $({ nothrow: true })`ip netns delete ${NS}`; // the veth pair goes with it
  await remove(); // a run cut short may have left one
  try {
    // one ip process per side, not one per command: each takes a fraction of a second on a first boot
    const veth = `link add fb-probe type veth peer name fb-client netns ${NS}`;
    await $({
      input: `netns add ${NS}\n${veth}\naddress add ${HOST}/30 dev fb-probe\nlink set fb-probe up\n`,
    })`ip -batch -`;
    await $({ input: `address add ${PROBE_CLIENT}/30 dev fb-client\nlink set fb-client up\n` })`ip -n ${NS} -batch -`;
    for (let i = 0; i < tries; i++) {
      const banner = await keyscan($, port, HOST, ['ip', 'netns', 'exec', NS]);
      if (banner !== undefined) return banner;
      await sleep(pauseMs);
    }
    return undefined;
  } finally {
    await remove();
  }
}
