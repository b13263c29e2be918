// `npm run bench:vm`: power-on to hardened (default config) against a stock boot on bookworm, with
// the payload's per-step times and the Lynis hardening index of each. Figures, not a test.
// The two VMs boot one after the other: under TCG on two cores, side by side would skew both.
import { readFileSync } from 'node:fs';
import { admin, sshPort } from './checks';
import { CLOUD_INIT_FINISHED, FINISHED, hardened } from './scenario';
import { keyPair } from './userdata';
import { bootVm, type Vm } from './vm';

const LYNIS = 'apt-get -qq update && DEBIAN_FRONTEND=noninteractive apt-get -qq install -y lynis >/dev/null'
  + ' && lynis audit system --quick --no-colors >/dev/null 2>&1; grep -E "^(hardening_index|suggestion|warning)\\[?\\]?=" /var/log/lynis-report.dat';

interface Lynis {
  index: string;
  /** "TEST-ID text" for each suggestion and warning left */
  left: string[];
}

async function lynis(vm: Vm, user: string, port: number, key: string): Promise<Lynis> {
  const r = await vm.ssh(user, `sudo -n sh -c '${LYNIS}'`, { port, key, timeoutMs: 30 * 60_000 });
  const lines = r.stdout.trim().split('\n');
  const index = lines.find((l) => l.startsWith('hardening_index='))?.split('=')[1] ?? `none (exit ${r.code}: ${r.stderr.trim()})`;
  const left = lines.filter((l) => !l.startsWith('hardening_index=')).map((l) => {
    const [kind, rest] = l.split('[]=');
    const [id, text, detail] = rest.split('|');
    return `${kind === 'warning' ? 'WARNING ' : ''}${id} ${text}${detail && detail !== '-' ? ` (${detail})` : ''}`;
  });
  return { index, left };
}

async function benchHardened(): Promise<void> {
  const h = await hardened(undefined);
  const vm = await bootVm({ name: 'bench-hardened', suite: 'bookworm', userData: h.userData, hostPorts: h.hostPorts, publicKeys: h.publicKeys });
  try {
    const [line] = await vm.waitForConsole(FINISHED, 30 * 60_000);
    const seconds = vm.uptime();
    const { port, key, user } = { port: sshPort(h.expect.plan), key: h.key.private, user: admin(h.expect.plan) };
    const status = JSON.parse((await vm.ssh(user, 'sudo -n cat /var/lib/firstboot/status.json', { port, key })).stdout) as { steps: { id: string; result: string; seconds: number }[] };
    console.log(`hardened: power-on to "${line.trim()}": ${seconds.toFixed(0)} s`);
    for (const s of status.steps) console.log(`  ${s.id.padEnd(10)} ${s.result.padEnd(8)} ${s.seconds.toFixed(1).padStart(6)} s`);
    const { index, left } = await lynis(vm, user, port, key);
    console.log(`hardened: Lynis hardening index ${index}; suggestions and warnings left:`);
    for (const line of left) console.log(`  ${line}`);
  } finally {
    await vm.close();
  }
}

async function benchStock(): Promise<void> {
  const key = await keyPair();
  const vm = await bootVm({ name: 'bench-stock', suite: 'bookworm', userData: '', publicKeys: [readFileSync(key.public, 'utf8').trim()] });
  try {
    await vm.waitForConsole(CLOUD_INIT_FINISHED, 15 * 60_000);
    console.log(`stock: power-on to cloud-init finished: ${vm.uptime().toFixed(0)} s`);
    console.log(`stock: Lynis hardening index ${(await lynis(vm, 'root', 22, key.private)).index}`);
  } finally {
    await vm.close();
  }
}

// `npm run bench:vm -- hardened` (or stock) runs one half
const only = process.argv[2];
if (only !== 'stock') await benchHardened();
if (only !== 'hardened') await benchStock();
