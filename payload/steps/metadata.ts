// Hetzner serves the user-data to any local process; when it holds a secret, a boot-time unit rejects
// every non-root connection to the metadata service, and drops traffic forwarded to it (containers and
// VMs: Docker turns forwarding on, and their packets never pass OUTPUT). The forwarded traffic is
// dropped in the raw table, before conntrack and before every chain Docker and ufw manage, so no
// ACCEPT of theirs comes first. Root (cloud-init) keeps its access, so a reboot still configures the
// network. The rules live in a unit, not in ufw's files: they must not depend on the firewall being enabled.
import type { MetadataPlan } from '../../contract/plan';
import type { Ctx, Step } from '../step';
import { fileDrift, header, writeFile, type FileSpec } from '../lib/files';
import { isActive, isEnabled } from '../lib/systemd';

const UNIT = 'firstboot-metadata-block.service';
const COMMENT = 'firstboot-metadata';

const tool = (address: string) => (address.includes(':') ? 'ip6tables' : 'iptables');

interface Rule {
  address: string;
  table: 'filter' | 'raw';
  /** the chain and match, as after -I / -C / -D */
  spec: string[];
  /** what check reports when the rule is missing */
  open: string;
}

const rules = (address: string): Rule[] => [
  {
    address,
    table: 'filter',
    spec: [
      'OUTPUT',
      '-d',
      address,
      '-m',
      'owner',
      '!',
      '--uid-owner',
      '0',
      '-m',
      'comment',
      '--comment',
      COMMENT,
      '-j',
      'REJECT',
    ],
    open: 'is open to every user',
  },
  {
    address,
    table: 'raw',
    spec: ['PREROUTING', '-d', address, '-m', 'comment', '--comment', COMMENT, '-j', 'DROP'],
    open: 'is open to forwarded traffic (containers, VMs)',
  },
];

const args = (rule: Rule, flag: string) => [tool(rule.address), '-w', '-t', rule.table, flag, ...rule.spec];

function unit(addresses: string[]): FileSpec {
  const lines = (action: string, flag: string) =>
    addresses.flatMap(rules).map((rule) => `${action}=/usr/sbin/${args(rule, flag).join(' ')}`);
  const content = `${header('only root may read the metadata service')}[Unit]
Description=firstboot: only root may read the metadata service (the user-data holds a secret)
DefaultDependencies=no
Before=network-pre.target
Wants=network-pre.target

[Service]
Type=oneshot
RemainAfterExit=yes
${lines('ExecStart', '-I').join('\n')}
${lines('ExecStop', '-D').join('\n')}

[Install]
WantedBy=sysinit.target
`;
  return { path: `/etc/systemd/system/${UNIT}`, content, mode: 0o644 };
}

async function missingRules({ params, $ }: Ctx<MetadataPlan>): Promise<string[]> {
  const missing: string[] = [];
  for (const rule of params.addresses.flatMap(rules)) {
    if (!(await $({ nothrow: true })`${args(rule, '-C')}`).ok) missing.push(`${rule.address} ${rule.open}`);
  }
  return missing;
}

export const metadata: Step<'metadata'> = {
  id: 'metadata',
  after: ['packages'],
  async check(ctx) {
    const drift = [...(await fileDrift(ctx.fs, unit(ctx.params.addresses))), ...(await missingRules(ctx))];
    if (!(await isEnabled(ctx.$, UNIT))) drift.push(`${UNIT} is not enabled`);
    return drift;
  },
  async apply({ params, $, fs }) {
    const changed = await writeFile(fs, unit(params.addresses));
    if (changed) await $`systemctl daemon-reload`;
    await $`systemctl enable ${UNIT}`;
    // restart runs ExecStop first, so the rules are never there twice
    await $`systemctl ${(await isActive($, UNIT)) ? 'restart' : 'start'} ${UNIT}`;
  },
  async verify(ctx) {
    // the effective check: a non-root process cannot connect
    const problems = await missingRules(ctx);
    for (const address of ctx.params.addresses.filter((a) => !a.includes(':'))) {
      const probe = await ctx.$({
        nothrow: true,
      })`setpriv --reuid=65534 --regid=65534 --clear-groups ${process.execPath} -e ${CONNECT} ${address}`;
      // only the kernel's refusal proves the block; a timeout or another error proves nothing
      if (probe.stdout.trim() !== 'refused')
        problems.push(
          `a non-root process was not refused by ${address}: ${probe.stdout.trim() || probe.stderr.trim()}`,
        );
    }
    return problems;
  },
};

/** connects to port 80 and prints "refused" when the kernel rejects it */
const CONNECT = `const s = require("net").connect(80, process.argv[1]);
s.setTimeout(3000, () => { console.log("timeout"); process.exit(); });
s.on("connect", () => { console.log("connected"); process.exit(); });
s.on("error", (e) => { console.log(e.code === "ECONNREFUSED" ? "refused" : e.code); process.exit(); });`;
