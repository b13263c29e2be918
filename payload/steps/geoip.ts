// GeoIP blocking: an nftables table of its own whose sets hold the allowed countries' ranges (from the
// pinned data), what is always allowed, the owner's address and the private networks the server is on;
// the guarded ports drop everything else. The table is swapped whole in one `nft -f` (atomic), only
// once the owner's address is known (it waits until then), and only after the guard found every way
// in that is in use still open: authenticated SSH sessions and mosh sessions.
import { createHash } from 'node:crypto';
import type { GeoipPlan } from '../../contract/plan';
import { CLIENT_ADDRESS, SERVER_PATHS } from '../../contract/paths';
import type { Step, Ctx } from '../step';
import type { Shell } from '../lib/shell';
import { filesDrift, header, writeFiles, type FileSpec } from '../lib/files';
import { enableNow, isActive, unitsDown } from '../lib/systemd';
import { npmInstall } from '../lib/npm';
import { PROBE_CLIENT } from '../lib/probe';
import { addressText, covered, parseAddress, parseRange, type Range } from '../lib/ip';
import {
  attachedNetworks,
  countryRanges,
  inUse,
  LEAST_SHARE,
  LOAD,
  REFRESH,
  RULES,
  sshSessions,
  TABLE,
} from '../lib/geoip-inputs';

export { RULES };

const adminOf = (ctx: Ctx<GeoipPlan>) => ctx.plan.steps.find((s) => s.id === 'admin')?.name;

/**
 * The owner's address, always let through: where `apply` (and so `create --wait`) last came from, or
 * else where the admin is logged in over SSH now (adopted, and recorded, by apply). Undefined until one
 * is known: the table then waits, so no first boot cuts off the person who made the server.
 */
async function ownerOf(ctx: Ctx<GeoipPlan>): Promise<{ address: string; adopted: boolean } | undefined> {
  const recorded = (await ctx.fs.read(CLIENT_ADDRESS))?.trim();
  if (recorded && parseAddress(recorded)) return { address: recorded, adopted: false };
  const admin = adminOf(ctx);
  const session = (await sshSessions(ctx)).find((s) => s.user === admin);
  return session && { address: session.address, adopted: true };
}

const waitingSentence = (ctx: Ctx<GeoipPlan>) =>
  `the owner's address, which GeoIP blocking always lets through: \`firstboot apply HOST\` or ` +
  `\`firstboot create --wait\` records it, or log in over SSH as ${adminOf(ctx) ?? 'the admin'} and run ` +
  `\`sudo firstboot run --only geoip\`; until then nothing is blocked`;

/** the owner's address as an element of its family's set */
const ownerElement = (address: string) => addressText(parseAddress(address)!);

/** names the plan in the file's first line, so a check needs no data to see the file is this plan's */
const planDigest = (p: GeoipPlan) => createHash('sha256').update(JSON.stringify(p)).digest('hex').slice(0, 12);

/** The whole table, for one atomic `nft -f`: the first two lines make the third a replacement */
function rules(p: GeoipPlan, v4: string[], v6: string[], owner: string): string {
  // the elements line only when the set has any, one range a line
  const set = (name: string, type: string, elements: string[]) => `  set ${name} {
    type ${type}
    flags interval
    auto-merge
${elements.length ? `    elements = { ${elements.join(',\n      ')} }\n` : ''}  }
`;
  // a whole line, or nothing when the plan guards no port of that protocol
  const drop = (proto: string, ports: string[]) =>
    ports.length ? `    ${proto} dport { ${ports.join(', ')} } drop\n` : '';
  return (
    `${header(
      `GeoIP blocking (${p.countries.join(' ')}), from ${p.data.name} ${p.data.version}, ` +
        `plan ${planDigest(p)}, owner ${ownerElement(owner)}`,
    )}add table ${TABLE}
delete table ${TABLE}
table ${TABLE} {
` +
    set('allow4', 'ipv4_addr', v4) +
    set('allow6', 'ipv6_addr', v6) +
    // before ufw's chains (priority filter), and only the guarded ports: everything else is ufw's
    `  chain input {
    type filter hook input priority filter - 5; policy accept;
    iif "lo" accept
    ip saddr @allow4 accept
    ip6 saddr @allow6 accept
` +
    drop('tcp', p.tcp) +
    drop('udp', p.udp) +
    `  }
}
`
  );
}

const units: FileSpec[] = [
  {
    path: `/etc/systemd/system/${LOAD}`,
    // before the network is up, as nftables.service loads its rules: no window with the ports open
    content: `${header('GeoIP blocking at boot')}[Unit]
Description=firstboot: GeoIP blocking
DefaultDependencies=no
Before=network-pre.target
Wants=network-pre.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/sbin/nft -f ${RULES}

[Install]
WantedBy=multi-user.target
`,
    mode: 0o644,
  },
  {
    path: '/etc/systemd/system/firstboot-geoip-refresh.service',
    content: `${header('GeoIP blocking, checked again')}[Unit]
Description=firstboot: GeoIP blocking, checked again

[Service]
Type=oneshot
ExecStart=${SERVER_PATHS.command} run --only geoip
`,
    mode: 0o644,
  },
  {
    path: `/etc/systemd/system/${REFRESH}`,
    // some time in the hour after midnight; Persistent: a server that was off then runs it once it is up
    content: `${header('GeoIP blocking, checked again')}[Unit]
Description=firstboot: GeoIP blocking, checked daily

[Timer]
OnCalendar=daily
RandomizedDelaySec=1h
Persistent=true

[Install]
WantedBy=timers.target
`,
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
  after: ['packages', 'firewall', 'ssh'],
  async check(ctx) {
    const { params: p, $, fs } = ctx;
    const owner = await ownerOf(ctx);
    if (!owner) return (ctx.waitFor(waitingSentence(ctx)), []);
    const drift = await filesDrift(fs, units);
    if (owner.adopted)
      drift.push(`the owner's address ${owner.address} (${adminOf(ctx)}'s SSH session) is not recorded`);
    const first = (await fs.read(RULES))?.split('\n')[0];
    if (first !== rules(p, [], [], owner.address).split('\n')[0])
      drift.push(
        `${RULES} is not this plan's (${p.countries.join(' ')}, ${p.data.name} ${p.data.version}, ` +
          `owner ${owner.address})`,
      );
    if (!(await isActive($, LOAD)) || (await loadedRanges($)) === 0) drift.push(`the ${TABLE} table is not loaded`);
    return [...drift, ...(await unitsDown($, [REFRESH]))];
  },
  async apply(ctx) {
    const { params: p, $, fs, plan, log } = ctx;
    const owner = await ownerOf(ctx);
    if (!owner) return ctx.waitFor(waitingSentence(ctx));
    await npmInstall.packages([p.data], {
      registry: plan.npm.registry,
      root: SERVER_PATHS.lib,
      log: (line) => log.info(line),
    });
    const countries = await countryRanges(fs, p);
    // the ssh step's probe proves sshd answers from outside: it must get through too (found on the VM)
    const always = [...p.allow, PROBE_CLIENT, ownerElement(owner.address), ...(await attachedNetworks($))];
    const v4 = [...countries.v4, ...always.filter((r) => !r.includes(':'))];
    const v6 = [...countries.v6, ...always.filter((r) => r.includes(':'))];
    if (countries.v4.length + countries.v6.length === 0)
      throw new Error(`the data has no ranges for ${p.countries.join(' ')}: nothing changed`);
    // the guard: every way in now in use must stay open, or nothing changes
    const allowed: Range[] = [...v4, ...v6].map((r) => parseRange(r)).filter((r): r is Range => !!r);
    for (const { address, what } of await inUse(ctx)) {
      const parsed = parseAddress(address);
      if (parsed && !covered(allowed, parsed)) {
        throw new Error(
          `would cut off ${address} (${what}), which is in none of ${p.countries.join(' ')}: add it to ` +
            `geoip.always_allow, or its country to geoip.countries; access stays as it was`,
        );
      }
    }
    const before = await loadedRanges($);
    if (before > 0 && v4.length + v6.length < before * LEAST_SHARE) {
      throw new Error(
        `the new data holds ${v4.length + v6.length} ranges where ${before} are loaded: that looks wrong, ` +
          `the loaded ones stay`,
      );
    }
    // recorded before the table goes live: the next run must find the same owner, with no session open
    if (owner.adopted) await fs.write(CLIENT_ADDRESS, `${owner.address}\n`, { mode: 0o600 });
    await fs.write(RULES, rules(p, v4, v6, owner.address), { mode: 0o644 });
    const out = await $({ nothrow: true })`nft -f ${RULES}`;
    if (!out.ok) throw new Error(`nft refused ${RULES}: ${out.stderr.trim()}`);
    log.info(
      `geoip: ${countries.v4.length} IPv4 and ${countries.v6.length} IPv6 ranges ` +
        `of ${p.countries.join(' ')} and the owner's ${owner.address} allowed on ` +
        `tcp ${p.tcp.join(' ') || '-'}, udp ${p.udp.join(' ') || '-'}`,
    );
    if (await writeFiles(fs, units)) await $`systemctl daemon-reload`;
    await enableNow($, LOAD, REFRESH);
  },
  async verify(ctx) {
    const { $ } = ctx;
    // waiting for the owner (check said so): nothing is loaded yet, by design
    if (!(await ownerOf(ctx))) return [];
    const problems = await unitsDown($, [LOAD, REFRESH]);
    if ((await loadedRanges($)) === 0) problems.push(`the ${TABLE} table holds no ranges`);
    return problems;
  },
};
