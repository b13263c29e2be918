// Hetzner's Arm servers (CAX): Debian 12 arm64 under qemu-system-aarch64 (TCG, UEFI for SMBIOS), booted as a
// Hetzner server from the developer preset's config: the console password, the daily report and Tailscale wait
// for their secrets, GeoIP for its owner's address; Tailscale's arm64 package comes from a repository laid out
// like Tailscale's (its stand-in, test/vm/tailscale.ts), and the toolchain brings Claude Code's arm64 binary and
// GSD (Context7 needs a newer Node.js than Debian 12's). Too large to travel whole: firstboot's pieces come from
// the guest's registry. `firstboot wait` follows the first boot from the start, as after hcloud or Terraform, and
// sends the secrets; then every check the x86 scenarios make.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { PRESETS } from '../../cli/presets';
import type { Status } from '../../contract/status';
import { sshPort, sudo } from '../vm/access';
import { checkConsoleLogin, checkDevtools } from '../vm/checks';
import { buildImage, REPO_ADDRESS } from '../vm/image';
import { sshRoute } from '../vm/route';
import { checkAll, hardened, waitForFirstboot, withVm } from '../vm/scenario';
import { keyPair } from '../vm/userdata';
import { since } from '../vm/exec';
import { VM_REGISTRY } from '../vm/npm';
import { TAILNET } from '../vm/tailscale-package';
import { tailscaleRepo } from '../vm/tailscale';

const NAME = 'cax1';
const ADDRESS = '192.0.2.45';
const INSTANCE = '40000001';

/**
 * The developer preset with GSD on, Tailscale from its stand-in's repository (the key pinned by fingerprint), and
 * htop without tmux (the local repository, packages.ts, lacks tmux: adding it would rebuild every cached x86
 * repository and image); each change checked.
 */
function developerConfig(key: string, tailscaleKey: string): string {
  const preset = PRESETS.developer.text(key);
  const repository = `  repository: { url: "http://${REPO_ADDRESS}/tailscale", key: ${tailscaleKey} }\n`;
  const config = preset
    .replace(/^( {2}auth_key: secret:tailscale\n)/m, `$1${repository}`)
    .replace('  # gsd: true', '  gsd: true')
    .replace('packages: [tmux, htop]', 'packages: [htop]');
  assert.ok(config.includes(repository), 'the preset changed: no Tailscale auth key to put the repository after');
  assert.match(config, /^ {2}gsd: true/m, 'the preset changed: GSD is not on');
  assert.match(config, /^packages: \[htop\]$/m, 'the preset changed its packages');
  assert.match(config, /^ {2}password: secret:console/m);
  assert.match(config, /^ {4}password: secret:smtp/m);
  return config;
}

test('Debian 12 arm64 (CAX), the developer config: hardened by its first boot, the toolchain runs', async () => {
  const start = performance.now();
  await buildImage({ suite: 'bookworm', arch: 'arm64' });
  console.log(`# the arm64 image (and its repository) ready in ${since(start)}`);

  const key = await keyPair();
  const route = await sshRoute(key);
  const dir = mkdtempSync(join(tmpdir(), 'firstboot-arm64-'));
  const config = join(dir, 'firstboot.yaml');
  const ts = await tailscaleRepo();
  const configText = developerConfig(readFileSync(key.public, 'utf8').trim(), ts.fingerprint);
  writeFileSync(config, configText);
  const h = await hardened(configText, [], ['--pieces-from', 'npm', '--host-key', NAME], { key, env: route.env });
  const secrets = {
    console: `pw-${randomBytes(12).toString('hex')}`,
    smtp: `smtp-${randomBytes(12).toString('hex')}`,
    tailscale: `tskey-auth-${randomBytes(12).toString('hex')}`,
  };
  for (const [name, value] of Object.entries(secrets)) writeFileSync(join(dir, name), `${value}\n`, { mode: 0o600 });

  try {
    await withVm(
      {
        name: 'developer-arm64',
        suite: 'bookworm',
        arch: 'arm64',
        userData: h.userData,
        hostPorts: h.hostPorts,
        publicKeys: h.publicKeys,
        instanceId: INSTANCE,
        served: { '/tailscale/': ts.root },
        // the stand-in tailnet's NIC, which its `tailscale up` takes for tailscale0
        tailnet: [sshPort(h.expect.plan)],
      },
      async (vm) => {
        route.add(ADDRESS, vm, h.hostPorts);
        const waiting = route.cli([
          'wait',
          ADDRESS,
          '--as',
          NAME,
          '-c',
          config,
          ...Object.keys(secrets).flatMap((name) => ['--secret', `${name}=@${join(dir, name)}`]),
          // its run sends the plan it makes from the config: with the registry generate named, or npm's,
          // which the guest cannot reach
          '--registry',
          VM_REGISTRY,
        ]);
        const line = await waitForFirstboot(vm, 60 * 60_000);
        // the console password, the report and Tailscale wait for their secrets, which wait then sends, and GeoIP
        // for the owner's address, which the admin's login of that run gives
        assert.match(line, / 4 waiting[,)]/);
        const waited = await waiting;
        console.log(`# developer-arm64: firstboot wait done ${vm.uptime().toFixed(0)} s after power-on`);
        assert.is(waited.code, 0, waited.stderr);
        assert.match(waited.stdout, /^firstboot finished:\n/);
        assert.not.match(waited.stdout, /waiting/, waited.stdout);
        for (const value of Object.values(secrets))
          assert.not.ok((waited.stdout + waited.stderr).includes(value), 'wait printed a secret');

        await checkArm64(vm, h.expect);
        await checkTailnet(vm, h.expect);
        const log = await sudo(vm, h.expect, 'cat /var/log/firstboot.log');
        assert.match(log, /report .*waiting for secret smtp/);
        assert.match(log, /admin .*waiting for secret console/);
        assert.match(log, /geoip .*waiting for the owner's address/);
        assert.match(log, /tailscale .*waiting for secret tailscale/);
        assert.match(log, /firstboot's pieces from npm \(http:\/\/169\.254\.169\.253[^)]*\): \d+ files added/);
        assert.is((await sudo(vm, h.expect, 'systemctl is-active firstboot-report.timer')).trim(), 'active');
        await checkConsoleLogin(vm, h.expect, secrets.console);
        await checkDevtools(vm, h.expect, { context7: false });
        await checkAll(vm, h.expect);
      },
    );
  } finally {
    route.close();
  }
  console.log(`# developer-arm64: ${since(start)} in all`);
});

/** An arm64 guest that cloud-init took for a Hetzner server, from the SMBIOS the firmware handed over. */
async function checkArm64(vm: Parameters<typeof sudo>[0], e: Parameters<typeof sudo>[1]): Promise<void> {
  const facts = await sudo(
    vm,
    e,
    "sh -c 'uname -m; dpkg --print-architecture; node -p process.arch; cat /sys/class/dmi/id/sys_vendor " +
      "/sys/class/dmi/id/product_serial; cloud-id'",
  );
  assert.equal(facts.trim().split('\n'), ['aarch64', 'arm64', 'arm64', 'Hetzner', INSTANCE, 'hetzner']);
}

/** Tailscale's arm64 package from the repository the plan pins, and the node joined with the key wait sent. */
async function checkTailnet(vm: Parameters<typeof sudo>[0], e: Parameters<typeof sudo>[1]): Promise<void> {
  assert.is((await sudo(vm, e, "dpkg-query -W -f '${Architecture}' tailscale")).trim(), 'arm64');
  assert.match(await sudo(vm, e, 'ip -4 -br address show tailscale0'), TAILNET.address);
  const status = JSON.parse(await sudo(vm, e, 'cat /var/lib/firstboot/status.json')) as Status;
  assert.is(status.steps.find((step) => step.id === 'tailscale')?.result, 'changed');
}

test.run();
