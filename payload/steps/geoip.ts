// GeoIP blocking: an nftables table of its own whose sets hold the allowed countries' ranges (from the
// pinned data), what is always allowed and the private networks the server is on; the guarded ports
// drop everything else. The table is swapped whole in one `nft -f` (atomic), and only after the guard
// found every way in that is in use still open: open SSH sessions, the address `apply` came from.
import { createHash } from 'node:crypto';
import type { GeoipPlan } from '../../contract/plan';
import { CLIENT_ADDRESS, SERVER_PATHS } from '../../contract/paths';
import type { Step, Ctx } from '../step';
import type { Fs } from '../lib/fs';
import type { Shell } from '../lib/shell';
import { filesDrift, header, writeFiles, type FileSpec } from '../lib/files';
import { enableNow, isActive, unitsDown } from '../lib/systemd';
import { npmInstall } from '../lib/npm';
import { PROBE_CLIENT } from '../lib/probe';
import { covered, isPrivate, networkOf, parseAddress, parseRange, type Range } from '../lib/ip';

const TABLE = 'inet firstboot_geoip';
export const RULES = '/etc/firstboot-geoip.nft';
const LOAD = 'firstboot-geoip.service';
const REFRESH = 'firstboot-geoip-refresh.timer';
/** a refresh that would leave fewer than this share of the ranges loaded now looks wrong: the old set stays */
const LEAST_SHARE = 0.5;

/** The allowed countries' ranges, per family, as the data writes them ("FROM-TO") */
async function countryRanges(fs: Fs, p: GeoipPlan): Promise<{ v4: string[]; v6: string[] }> {
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
async function attachedNetworks($: Shell): Promise<string[]> {
  const links = JSON.parse((await $`ip -j address show`).stdout || '[]') as { addr_info?: { local: string; prefixlen: number }[] }[];
  return links.flatMap((l) => l.addr_info ?? []).flatMap(({ local, prefixlen }) => {
    const address = parseAddress(local);
    return address && isPrivate(address) ? [networkOf(address, prefixlen)] : [];
  });
}

/** The ways in now in use on the guarded TCP ports: each SSH session's peer, and where apply came from */
async function inUse(ctx: Ctx<GeoipPlan>): Promise<{ address: string; what: string }[]> {
  const { params: p, $, fs } = ctx;
  const ports = p.tcp.map((port) => port.split('-').map(Number)).map(([a, b = a]) => [a, b]);
  const guarded = (port: number) => ports.some(([a, b]) => a <= port && port <= b);
  const sessions = (await $`ss -Htn state established`).stdout.split('\n').flatMap((line) => {
    const [, , local, peer] = line.trim().split(/\s+/);
    if (!peer || !guarded(Number(local.slice(local.lastIndexOf(':') + 1)))) return [];
    return [{ address: peer.slice(0, peer.lastIndexOf(':')), what: 'an open SSH session' }];
  });
  const client = (await fs.read(CLIENT_ADDRESS))?.trim();
  return [...sessions, ...(client ? [{ address: client, what: 'the address firstboot apply connected from' }] : [])];
}

/** names the plan in the file's first line, so a check needs no data to see the file is this plan's */
const planDigest = (p: GeoipPlan) => createHash('sha256').update(JSON.stringify(p)).digest('hex').slice(0, 12);

/** The whole table, for one atomic `nft -f`: the first two lines make the third a replacement */
function rules(p: GeoipPlan, v4: string[], v6: string[]): string {
  const set = (name: string, type: string, elements: string[]) =>
    `  set ${name} {\n    type ${type}\n    flags interval\n    auto-merge\n${elements.length ? `    elements = { ${elements.join(',\n      ')} }\n` : ''}  }\n`;
  const drop = (proto: string, ports: string[]) => (ports.length ? `    ${proto} dport { ${ports.join(', ')} } drop\n` : '');
  return `${header(`GeoIP blocking (${p.countries.join(' ')}), from ${p.data.name} ${p.data.version}, plan ${planDigest(p)}`)}` +
    `add table ${TABLE}\ndelete table ${TABLE}\ntable ${TABLE} {\n` +
    set('allow4', 'ipv4_addr', v4) + set('allow6', 'ipv6_addr', v6) +
    // before ufw's chains (priority filter), and only the guarded ports: everything else is ufw's
    '  chain input {\n    type filter hook input priority filter - 5; policy accept;\n    iif "lo" accept\n' +
    '    ip saddr @allow4 accept\n    ip6 saddr @allow6 accept\n' + drop('tcp', p.tcp) + drop('udp', p.udp) + '  }\n}\n';
}

const units: FileSpec[] = [
  {
    path: `/etc/systemd/system/${LOAD}`,
    // before the network is up, as nftables.service loads its rules: no window with the ports open
    content: `${header('GeoIP blocking at boot')}[Unit]\nDescription=firstboot: GeoIP blocking\nDefaultDependencies=no\nBefore=network-pre.target\nWants=network-pre.target\n\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/usr/sbin/nft -f ${RULES}\n\n[Install]\nWantedBy=multi-user.target\n`,
    mode: 0o644,
  },
  {
    path: '/etc/systemd/system/firstboot-geoip-refresh.service',
    content: `${header('GeoIP blocking, checked again')}[Unit]\nDescription=firstboot: GeoIP blocking, checked again\n\n[Service]\nType=oneshot\nExecStart=${SERVER_PATHS.command} run --only geoip\n`,
    mode: 0o644,
  },
  {
    path: `/etc/systemd/system/${REFRESH}`,
    content: `${header('GeoIP blocking, checked again')}[Unit]\nDescription=firstboot: GeoIP blocking, checked daily\n\n[Timer]\nOnCalendar=daily\nRandomizedDelaySec=1h\nPersistent=true\n\n[Install]\nWantedBy=timers.target\n`,
    mode: 0o644,
  },
];

/** how many ranges the loaded table holds now; 0 when there is none */
async function loadedRanges($: Shell): Promise<number> {
  const out = await $({ nothrow: true })`nft -j list table ${TABLE.split(' ')}`;
  if (!out.ok) return 0;
  const items = (JSON.parse(out.stdout).nftables ?? []) as { set?: { elem?: unknown[] } }[];
  return items.reduce((n, item) => n + (item.set?.elem?.length ?? 0), 0);
}

export const geoip: Step<'geoip'> = {
  id: 'geoip',
  title: 'GeoIP blocking',
  after: ['packages', 'firewall', 'ssh'],
  async check({ params: p, $, fs }) {
    const drift = await filesDrift(fs, units);
    const first = (await fs.read(RULES))?.split('\n')[0];
    if (first !== rules(p, [], []).split('\n')[0]) drift.push(`${RULES} is not this plan's (${p.countries.join(' ')}, ${p.data.name} ${p.data.version})`);
    if (!(await isActive($, LOAD)) || (await loadedRanges($)) === 0) drift.push(`the ${TABLE} table is not loaded`);
    return [...drift, ...(await unitsDown($, [REFRESH]))];
  },
  async apply(ctx) {
    const { params: p, $, fs, plan, log } = ctx;
    await npmInstall.packages([p.data], { registry: plan.npm.registry, root: SERVER_PATHS.lib, log: (line) => log.info(line) });
    const countries = await countryRanges(fs, p);
    // the ssh step's probe proves sshd answers from outside: it must get through too (found on the VM)
    const always = [...p.allow, PROBE_CLIENT, ...(await attachedNetworks($))];
    const v4 = [...countries.v4, ...always.filter((r) => !r.includes(':'))];
    const v6 = [...countries.v6, ...always.filter((r) => r.includes(':'))];
    if (countries.v4.length + countries.v6.length === 0) throw new Error(`the data has no ranges for ${p.countries.join(' ')}: nothing changed`);
    // the guard: every way in now in use must stay open, or nothing changes
    const allowed: Range[] = [...v4, ...v6].map((r) => parseRange(r)).filter((r): r is Range => !!r);
    for (const { address, what } of await inUse(ctx)) {
      const parsed = parseAddress(address);
      if (parsed && !covered(allowed, parsed)) {
        throw new Error(`would cut off ${address} (${what}), which is in none of ${p.countries.join(' ')}: add it to geoip.always_allow, or its country to geoip.countries; access stays as it was`);
      }
    }
    const before = await loadedRanges($);
    if (before > 0 && v4.length + v6.length < before * LEAST_SHARE) {
      throw new Error(`the new data holds ${v4.length + v6.length} ranges where ${before} are loaded: that looks wrong, the loaded ones stay`);
    }
    await fs.write(RULES, rules(p, v4, v6), { mode: 0o644 });
    const out = await $({ nothrow: true })`nft -f ${RULES}`;
    if (!out.ok) throw new Error(`nft refused ${RULES}: ${out.stderr.trim()}`);
    log.info(`geoip: ${countries.v4.length} IPv4 and ${countries.v6.length} IPv6 ranges of ${p.countries.join(' ')} allowed on tcp ${p.tcp.join(' ') || '-'}, udp ${p.udp.join(' ') || '-'}`);
    if (await writeFiles(fs, units)) await $`systemctl daemon-reload`;
    await enableNow($, LOAD);
    await enableNow($, REFRESH);
  },
  async verify({ $ }) {
    const problems = await unitsDown($, [LOAD, REFRESH]);
    if ((await loadedRanges($)) === 0) problems.push(`the ${TABLE} table holds no ranges`);
    return problems;
  },
};
