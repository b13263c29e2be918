// What GeoIP blocking (payload/steps/geoip.ts) is made of and guarded by: the names of its table and
// units, the allowed countries' ranges from the pinned data, the private networks the server is on, and
// the ways in now in use, which the guard keeps open: authenticated SSH sessions and mosh sessions.
import type { GeoipPlan } from '../../contract/plan';
import { SERVER_PATHS } from '../../contract/paths';
import type { Ctx } from '../step';
import type { Fs } from './fs';
import type { Shell } from './shell';
import { isLoopback, isPrivate, networkOf, parseAddress } from './ip';

export const TABLE = 'inet firstboot_geoip';
export const RULES = '/etc/firstboot-geoip.nft';
export const LOAD = 'firstboot-geoip.service';
export const REFRESH = 'firstboot-geoip-refresh.timer';
/** a refresh that would leave fewer than this share of the ranges loaded now looks wrong: the old set stays */
export const LEAST_SHARE = 0.5;

/** The allowed countries' ranges, per family, as the data writes them ("FROM-TO") */
export async function countryRanges(fs: Fs, p: GeoipPlan): Promise<{ v4: string[]; v6: string[] }> {
  const dir = `${SERVER_PATHS.lib}/node_modules/${p.data.name}`;
  const wanted = new Set(p.countries);
  const read = async (family: string) => {
    const csv = await fs.read(`${dir}/${p.data.name.split('/').pop()}-${family}.csv`);
    if (csv === undefined) throw new Error(`${p.data.name} has no ${family} data`);
    return csv.split('\n').flatMap((line) => {
      const [from, to, country] = line.split(',');
      return wanted.has(country?.trim()) ? [`${from}-${to}`] : [];
    });
  };
  return { v4: await read('ipv4'), v6: await read('ipv6') };
}

/** The private networks the server's interfaces are on (a Hetzner private network, a Docker bridge) */
export async function attachedNetworks($: Shell): Promise<string[]> {
  const links = JSON.parse((await $`ip -j address show`).stdout || '[]') as {
    addr_info?: { local: string; prefixlen: number }[];
  }[];
  return links
    .flatMap((l) => l.addr_info ?? [])
    .flatMap(({ local, prefixlen }) => {
      const address = parseAddress(local);
      return address && isPrivate(address) ? [networkOf(address, prefixlen)] : [];
    });
}

type Way = { address: string; what: string };

/** "PORT" / "FROM-TO" strings to a test for one port */
const guards = (ports: string[]) => {
  const ranges = ports.map((port) => port.split('-').map(Number)).map(([a, b = a]) => [a, b]);
  return (port: number) => ranges.some(([a, b]) => a <= port && port <= b);
};
const portOf = (address: string) => Number(address.slice(address.lastIndexOf(':') + 1));
/** the host of "HOST:PORT" as ss writes it, a v4 client on a v6 socket ("[::ffff:1.2.3.4]") as plain v4 */
const hostOf = (address: string) =>
  address.slice(0, address.lastIndexOf(':')).replace(/^\[(?:::ffff:(?=\d+\.))?|\]$/gi, '');
/** the processes `ss -p` names as holding a socket: users:(("sshd",pid=1234,fd=4),...) */
const holders = (line: string) => [...line.matchAll(/\("([^"]+)",pid=(\d+),/g)].map(([, name, pid]) => ({ name, pid }));
/** not loopback, and an address at all */
const outside = (address: string) => {
  const a = parseAddress(address);
  return !!a && !isLoopback(a);
};

/**
 * Authenticated SSH sessions on the guarded TCP ports, with their user. Only sshd holds the server end
 * of a connection to its port, and only its per-session process, made once the login is authenticated,
 * is titled "sshd: USER@TTY" ("sshd-session: ..." from OpenSSH 9.8; TTY is "notty" without one): a
 * connection that never logged in (a scanner, `nc`) has only the "[accepted]", "[priv]", "[net]" and
 * "[preauth]" ones, whose USER sshd names only once it knows the user exists.
 */
export async function sshSessions({ params: p, $, fs }: Ctx<GeoipPlan>): Promise<{ address: string; user: string }[]> {
  const guarded = guards(p.tcp);
  const sessions: { address: string; user: string }[] = [];
  for (const line of (await $`ss -Htnp state established`).stdout.split('\n')) {
    const [, , local, peer] = line.trim().split(/\s+/);
    if (!peer || !guarded(portOf(local)) || !outside(hostOf(peer))) continue;
    for (const { pid } of holders(line).filter((h) => h.name === 'sshd' || h.name === 'sshd-session')) {
      const title = (await fs.read(`/proc/${pid}/cmdline`))?.split('\0')[0] ?? '';
      const user = /^sshd(?:-session)?: ([^\s@]+)@\S+$/.exec(title)?.[1];
      if (user) {
        sessions.push({ address: hostOf(peer), user });
        break;
      }
    }
  }
  return sessions;
}

/**
 * mosh sessions on the guarded UDP ports: mosh-server's socket is not connected (the client may roam),
 * so its peer comes from the kernel's connection tracking (ufw loads it): a flow to a mosh-server's port
 * that has been answered. mosh-server answers only datagrams sealed with the session's key, so a scanner
 * cannot make one. Without /proc/net/nf_conntrack no mosh session is seen.
 */
async function moshSessions({ params: p, $, fs }: Ctx<GeoipPlan>): Promise<string[]> {
  const guarded = guards(p.udp);
  const ports = new Set(
    (await $`ss -Hunap`).stdout
      .split('\n')
      .filter((line) => holders(line).some((h) => h.name === 'mosh-server'))
      .map((line) => portOf(line.trim().split(/\s+/)[3] ?? ''))
      .filter(guarded),
  );
  if (!ports.size) return [];
  return ((await fs.read('/proc/net/nf_conntrack')) ?? '').split('\n').flatMap((line) => {
    const flow = / udp +17 .*?src=(\S+) dst=\S+ sport=\d+ dport=(\d+) /.exec(line);
    return flow && !line.includes('[UNREPLIED]') && ports.has(Number(flow[2])) && outside(flow[1]) ? [flow[1]] : [];
  });
}

/** The ways in now in use on the guarded ports: authenticated SSH sessions and mosh sessions */
export async function inUse(ctx: Ctx<GeoipPlan>): Promise<Way[]> {
  return [
    ...(await sshSessions(ctx)).map(({ address, user }) => ({ address, what: `an SSH session of ${user}` })),
    ...(await moshSessions(ctx)).map((address) => ({ address, what: 'a mosh session' })),
  ];
}
