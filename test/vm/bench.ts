// `npm run bench:vm`: on the same bookworm image, in one run: firstboot's power-on to hardened (default
// config) by phase; the floor, a stock boot plus one tuned apt transaction of exactly the packages the
// payload installs (nodejs included), and the ratio of the two; the Lynis hardening index and an
// OpenSCAP scan (openscap.ts), hardened against stock, with what is left. Figures, not a test. The VMs boot one after
// the other: under TCG on two cores, side by side would skew both. `-- --arm64` boots them as Hetzner's Arm
// servers (arch.ts), to set an arm64 first boot against the x86 one.
import { readFileSync } from 'node:fs';
import { admin, sshPort } from './access';
import { CLOUD_INIT_FINISHED, FINISHED, hardened } from './scenario';
import { keyPair } from './userdata';
import { bootVm, type Vm } from './vm';
import { changed, openscap, ssgFolder, SSG_PATH, type Scan } from './openscap';
import type { Arch } from './packages';

// The image's apt sources are the local repository's two suites, standing in for Debian's archive and
// its security archive (repo.ts); Lynis (PKGS-7388) finds the second by the "security/ " in its line.
const LYNIS =
  'apt-get -qq update && DEBIAN_FRONTEND=noninteractive apt-get -qq install -y lynis >/dev/null' +
  ' && lynis audit system --quick --no-colors >/dev/null 2>&1; grep -E ' +
  '"^(hardening_index|suggestion|warning)\\[?\\]?=" /var/log/lynis-report.dat' +
  '; grep -E "Performing test ID|number of hardening points" /var/log/lynis.log';

interface Lynis {
  index: string;
  /** "TEST-ID text" for each suggestion and warning left */
  left: string[];
  /** "TEST-ID lost of max" for each test that gave fewer points than it could (lynis.log's AddHP lines) */
  lost: string[];
}

/** Points each test withheld, from lynis.log: the index is all points given over all points possible. */
function pointsLost(log: string[]): string[] {
  const by = new Map<string, { lost: number; max: number }>();
  let id = '';
  for (const line of log) {
    const test = /Performing test ID (\S+)/.exec(line);
    if (test) id = test[1];
    const hp = /hardening points \((\d+) of (\d+)\)|hardening points for this item \((\d+)\)/.exec(line);
    if (!hp) continue;
    const [got, max] = hp[3] ? [Number(hp[3]), Number(hp[3])] : [Number(hp[1]), Number(hp[2])];
    const sum = by.get(id) ?? { lost: 0, max: 0 };
    by.set(id, { lost: sum.lost + max - got, max: sum.max + max });
  }
  return [...by]
    .filter(([, v]) => v.lost > 0)
    .sort(([, a], [, b]) => b.lost - a.lost)
    .map(([test, v]) => `${test} ${v.lost} of ${v.max}`);
}

async function lynis(vm: Vm, user: string, port: number, key: string): Promise<Lynis> {
  const r = await vm.ssh(user, `sudo -n sh -c '${LYNIS}'`, { port, key, timeoutMs: 30 * 60_000 });
  const all = r.stdout.trim().split('\n');
  const lines = all.filter((l) => /^(hardening_index|suggestion|warning)/.test(l));
  const index =
    lines.find((l) => l.startsWith('hardening_index='))?.split('=')[1] ?? `none (exit ${r.code}: ${r.stderr.trim()})`;
  const left = lines
    .filter((l) => !l.startsWith('hardening_index='))
    .map((l) => {
      const [kind, rest] = l.split('[]=');
      const [id, text, detail] = rest.split('|');
      return `${kind === 'warning' ? 'WARNING ' : ''}${id} ${text}${detail && detail !== '-' ? ` (${detail})` : ''}`;
    });
  return { index, left, lost: pointsLost(all.filter((l) => !lines.includes(l))) };
}

const h = await hardened(undefined);
const fmt = (seconds: number) => `${seconds.toFixed(0).padStart(4)} s`;

// `npm run bench:vm -- time` skips the scanners (each about 10 minutes a run under TCG); `-- lynis` or
// `-- openscap` runs that one alone, on a hardened and a stock VM
const args = process.argv.slice(2);
const only = args.find((arg, i) => !arg.startsWith('--') && args[i - 1] !== '--runs');
const arch: Arch = args.includes('--arm64') ? 'arm64' : 'amd64';
const withLynis = only === undefined || only === 'lynis';
const withScap = only === undefined || only === 'openscap';
const served: Record<string, string> = withScap ? { [SSG_PATH]: await ssgFolder() } : {};

/** Power-on to "finished: ok", by phase; returns the total and the OpenSCAP scan. */
async function benchHardened(): Promise<{ total: number; scan?: Scan }> {
  const vm = await bootVm({
    name: 'bench-hardened',
    suite: 'bookworm',
    arch,
    userData: h.userData,
    hostPorts: h.hostPorts,
    publicKeys: h.publicKeys,
    served,
  });
  try {
    const [line] = await vm.waitForConsole(FINISHED, 30 * 60_000);
    const total = vm.uptime();
    const { port, key, user } = { port: sshPort(h.expect.plan), key: h.key.private, user: admin(h.expect.plan) };
    const status = JSON.parse(
      (await vm.ssh(user, 'sudo -n cat /var/lib/firstboot/status.json', { port, key })).stdout,
    ) as { started: string; steps: { id: string; result: string; seconds: number }[] };
    // when systemd started the unit (its ExecStartPre is the prepare script), on the guest's clocks
    const unit = (
      await vm.ssh(
        user,
        'systemctl show -p InactiveExitTimestampMonotonic -p InactiveExitTimestamp --timestamp=unix firstboot',
        { port, key },
      )
    ).stdout;
    const field = (name: string) => /=@?(\d+)/.exec(unit.split('\n').find((l) => l.startsWith(`${name}=`)) ?? '')?.[1];
    const unitStart = Number(field('InactiveExitTimestampMonotonic')) / 1e6;
    const prepare = Date.parse(status.started) / 1000 - Number(field('InactiveExitTimestamp'));
    console.log(`hardened: power-on to "${line.trim()}": ${fmt(total)}`);
    console.log(`  boot to firstboot.service ${fmt(unitStart)}`);
    console.log(`  prepare (nodejs, unpack, zx) ${fmt(prepare)}`);
    for (const s of status.steps)
      console.log(`  ${s.id.padEnd(10)} ${s.result.padEnd(8)} ${s.seconds.toFixed(1).padStart(6)} s`);
    if (withLynis) {
      const { index, left, lost } = await lynis(vm, user, port, key);
      console.log(`hardened: Lynis hardening index ${index}; suggestions and warnings left:`);
      for (const l of left) console.log(`  ${l}`);
      console.log(`hardened: points withheld, by test: ${lost.join(', ')}`);
    }
    const scan = withScap ? await openscap(vm, user, port, key) : undefined;
    if (scan) console.log(`hardened: OpenSCAP ANSSI BP-028 intermediary: ${scan.summary}`);
    return { total, scan };
  } finally {
    await vm.close();
  }
}

// the least the same work can take: apt's work tuned as far as it goes (no recommends, no man-db
// trigger, dpkg without fsync), in one transaction
const FLOOR = (packages: string[]) => `set -e; rm -f /var/lib/man-db/auto-update; start=$(date +%s.%N)
apt-get -qq -o Acquire::Languages=none update
DEBIAN_FRONTEND=noninteractive apt-get -qq -y --no-install-recommends -o Dpkg::Options::=--force-unsafe-io install \
nodejs ${packages.join(' ')} >/dev/null
awk "BEGIN { print $(date +%s.%N) - $start }"`;

/** A stock boot, then one tuned transaction of the payload's packages; returns the sum. */
async function benchFloor(): Promise<number> {
  const key = await keyPair();
  const vm = await bootVm({
    name: 'bench-floor',
    suite: 'bookworm',
    arch,
    userData: '',
    publicKeys: [readFileSync(key.public, 'utf8').trim()],
  });
  try {
    await vm.waitForConsole(CLOUD_INIT_FINISHED, 15 * 60_000);
    const boot = vm.uptime();
    const packages = h.expect.plan.steps.find((s) => s.id === 'packages')!.install as string[];
    const apt = await vm.ssh('root', FLOOR(packages), { port: 22, key: key.private, timeoutMs: 20 * 60_000 });
    if (apt.code !== 0) throw new Error(`the floor's apt transaction failed: ${apt.stderr}`);
    const seconds = Number(apt.stdout.trim());
    console.log(
      `floor: stock boot to cloud-init finished ${fmt(boot)} + one tuned apt transaction (nodejs ` +
        `${packages.join(' ')}) ${fmt(seconds)} = ${fmt(boot + seconds)}`,
    );
    return boot + seconds;
  } finally {
    await vm.close();
  }
}

async function benchStock(hardenedScan?: Scan): Promise<void> {
  const key = await keyPair();
  const vm = await bootVm({
    name: 'bench-stock',
    suite: 'bookworm',
    arch,
    userData: '',
    publicKeys: [readFileSync(key.public, 'utf8').trim()],
    served,
  });
  try {
    await vm.waitForConsole(CLOUD_INIT_FINISHED, 15 * 60_000);
    console.log(`stock: power-on to cloud-init finished: ${vm.uptime().toFixed(0)} s`);
    if (withLynis) console.log(`stock: Lynis hardening index ${(await lynis(vm, 'root', 22, key.private)).index}`);
    if (!withScap) return;
    const scan = await openscap(vm, 'root', 22, key.private);
    console.log(`stock: OpenSCAP ANSSI BP-028 intermediary: ${scan.summary}`);
    if (!hardenedScan) return;
    console.log('OpenSCAP rules whose result firstboot changes (stock -> hardened):');
    for (const line of changed(scan, hardenedScan)) console.log(`  ${line}`);
    console.log('OpenSCAP rules that fail on the hardened server:');
    for (const [rule, result] of hardenedScan.results) if (result === 'fail') console.log(`  ${rule}`);
  } finally {
    await vm.close();
  }
}

if (only === undefined || only === 'time') {
  // `-- time --runs N`: N pairs, one after the other; on a shared machine one pair can be off by a tenth
  const runs = Number(args[args.indexOf('--runs') + 1]) || 1;
  const ratios: number[] = [];
  let scan: Scan | undefined;
  for (let run = 1; run <= runs; run++) {
    const floor = await benchFloor();
    const hardened = await benchHardened();
    scan = hardened.scan;
    ratios.push(hardened.total / floor);
    console.log(`ratio to the floor, run ${run} of ${runs}: ${ratios[run - 1].toFixed(2)} (target at most 1.2)`);
  }
  const sorted = [...ratios].sort((a, b) => a - b);
  const median = (sorted[Math.floor((runs - 1) / 2)] + sorted[Math.ceil((runs - 1) / 2)]) / 2;
  if (runs > 1) console.log(`ratio to the floor, median of ${runs} runs: ${median.toFixed(2)} (target at most 1.2)`);
  if (only !== 'time') await benchStock(scan);
} else await benchStock((await benchHardened()).scan);
