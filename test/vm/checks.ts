// The checks a hardened server must pass, from outside (the real OpenSSH client, ssh-audit) and
// inside (ssh + sudo). The expected values come from the plan the user-data carries.
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import { DEVTOOLS_PINS } from '../../contract/devtools-pins';
import { gsdVersion } from '../../payload/lib/devtools-gsd';
import { KERNEL_SETTINGS, STATIC_IPV6_SETTINGS } from '../../contract/kernel-settings';
import { VM_IPV6 } from './metadata';
import { stepOf } from './userdata';
import type { Vm } from './vm';
import { type Expect, PER_WINDOW, pace, admin, sshPort, asAdmin, sudo } from './access';

/** What sshd's refusal offers instead, e.g. ["publickey"]. */
function offeredMethods(stderr: string): string[] {
  const match = stderr.match(/Permission denied \(([^)]*)\)/);
  assert.ok(match, `expected "Permission denied", got: ${stderr}`);
  return match![1].split(',');
}

/** True if something on the forwarded port speaks SSH within `ms` (ufw drops, slirp keeps silent). */
export async function sshBanner(vm: Vm, guestPort: number, ms = 15_000): Promise<boolean> {
  await pace(vm);
  return new Promise((resolve) => {
    const socket = connect(vm.ports[guestPort], '127.0.0.1');
    const done = (ok: boolean) => (socket.destroy(), resolve(ok));
    const timer = setTimeout(done, ms, false);
    socket.on('data', (d) => (clearTimeout(timer), done(d.toString().startsWith('SSH-'))));
    socket.on('error', () => (clearTimeout(timer), done(false)));
    socket.on('close', () => (clearTimeout(timer), done(false)));
  });
}

/**
 * The console's way in, as Hetzner's console gives it: login(1) on a terminal (a pty driven by the
 * guest's python3, which cloud-init brings), the admin's name and console password typed at its
 * prompts; the shell it opens says who it is. The password goes in on stdin, never a command line.
 * Also what that session has: sudo's umask (0077, firstboot's sudoers) and bash's idle timeout.
 */
export async function checkConsoleLogin(vm: Vm, e: Expect, password: string): Promise<void> {
  const driver = `import os, pty, sys, time
password = sys.stdin.readline().rstrip("\\n")
pid, fd = pty.fork()
if pid == 0:
    os.execv("/bin/login", ["login", sys.argv[1]])
seen = b""
def until(text, seconds=60):
    global seen
    end = time.time() + seconds
    while text not in seen and time.time() < end:
        try:
            seen += os.read(fd, 1024)
        except OSError:
            break
    return text in seen
until(b"Password:")
os.write(fd, (password + "\\n").encode())
until(b"$ ")
os.write(fd, b"echo who=$(id -un) tmout=$TMOUT sudo-umask=$(sudo -n sh -c umask); exit\\n")
until(b"sudo-umask=0")
until(b"logout", 10)
sys.stdout.write(seen.decode(errors="replace"))`;
  const r = await vm.ssh(
    admin(e.plan),
    `echo ${Buffer.from(driver).toString('base64')} | base64 -d > /tmp/console.py && sudo -n python3 ` +
      `/tmp/console.py ${admin(e.plan)}`,
    {
      port: sshPort(e.plan),
      key: e.key.private,
      reuse: true,
      tailnet: e.tailnet,
      input: `${password}\n`,
    },
  );
  console.log(
    `# ${vm.opts.name}: the console login\n` +
      `${r.stdout.replace(password, '(password)').trim().split('\n').slice(-3).join('\n')}`,
  );
  assert.match(
    r.stdout,
    `who=${admin(e.plan)} tmout=600 sudo-umask=0077`,
    `the console password does not log in:\n${r.stdout.replace(password, '(password)')}`,
  );
}

/** The server's ed25519 host key as ssh-keyscan sees it ("ssh-ed25519 AAAA..."). */
export async function hostKey(vm: Vm, guestPort: number): Promise<string> {
  await pace(vm);
  const { stdout } = await promisify(execFile)('ssh-keyscan', [
    '-t',
    'ed25519',
    '-p',
    String(vm.ports[guestPort]),
    '127.0.0.1',
  ]);
  return stdout.trim().split(/\s+/).slice(1).join(' ');
}

export async function checkLogins(vm: Vm, e: Expect): Promise<void> {
  const port = sshPort(e.plan);
  await pace(vm);
  const ok = await vm.ssh(admin(e.plan), 'sudo -n true', { port, key: e.key.private });
  assert.is(ok.code, 0, `admin key login + sudo failed: ${ok.stderr}`);
  await pace(vm);
  const root = await vm.ssh('root', 'true', { port, key: e.key.private });
  assert.is.not(root.code, 0, 'root logged in');
  // BatchMode keeps the client from prompting, but sshd still lists what it would accept.
  for (const method of ['password', 'keyboard-interactive']) {
    await pace(vm);
    const r = await vm.ssh(admin(e.plan), 'true', {
      port,
      options: [`PreferredAuthentications=${method}`, 'PubkeyAuthentication=no'],
    });
    assert.is.not(r.code, 0);
    assert.not.ok(offeredMethods(r.stderr).includes(method), `sshd offers ${method}: ${r.stderr}`);
  }
  if (port !== 22) assert.not.ok(await sshBanner(vm, 22), 'port 22 still answers');
}

export async function checkInside(vm: Vm, e: Expect): Promise<void> {
  const port = sshPort(e.plan);
  await sudo(vm, e, 'firstboot check');
  const sshd = await sudo(vm, e, 'sshd -T');
  for (const line of [
    'permitrootlogin no',
    'passwordauthentication no',
    'kbdinteractiveauthentication no',
    `port ${port}`,
  ]) {
    assert.ok(sshd.split('\n').includes(line), `sshd -T lacks "${line}"`);
  }
  const ufw = await sudo(vm, e, 'ufw status verbose');
  assert.match(ufw, 'Status: active');
  assert.match(ufw, /Default: deny \(incoming\)/);
  for (const rule of [`${port}/tcp`, ...(e.allow ?? [])])
    assert.match(ufw, new RegExp(`^${rule}\\s+(ALLOW|LIMIT) IN`, 'm'), `ufw lacks ${rule}:\n${ufw}`);
  for (const rule of e.absent ?? []) assert.not.match(ufw, new RegExp(`^${rule}\\s`, 'm'), `ufw has ${rule}`);
  const audit = await sudo(vm, e, 'auditctl -l');
  assert.ok(audit.trim() && !/No rules/.test(audit), 'auditd has no rules');
  if (stepOf(e.plan, 'sysctl')) {
    // the VMs' IPv6 is static, as at Hetzner (metadata.ts): router advertisements are ignored too
    const settings = [...KERNEL_SETTINGS, ...STATIC_IPV6_SETTINGS];
    const live = new Map(
      (await sudo(vm, e, `sysctl ${settings.map(([key]) => key).join(' ')}`))
        .split('\n')
        .map((line) => line.split(' = ') as [string, string]),
    );
    for (const [key, value] of settings) assert.is(live.get(key)?.trim().replace(/\s+/g, ' '), value, key);
    assert.match(
      await sudo(vm, e, 'ip -6 -o addr show scope global'),
      VM_IPV6,
      'the static IPv6 from the metadata is not configured',
    );
  }
  assert.is((await sudo(vm, e, 'systemctl is-enabled apt-daily-upgrade.timer')).trim(), 'enabled');
  // zx came from the plan's registry (the local one), as pinned, and only the plan's steps were shipped
  for (const pkg of e.plan.npm.packages) {
    assert.is(
      (await sudo(vm, e, `cat /usr/local/lib/firstboot/node_modules/${pkg.name}/.firstboot-integrity`)).trim(),
      pkg.integrity,
    );
  }
  const steps = (await sudo(vm, e, 'ls /usr/local/lib/firstboot/payload/steps')).split(/\s+/).filter(Boolean).sort();
  assert.equal(steps, [...new Set(e.plan.steps.map((s) => `${s.id}.mjs`))].sort());
}

/**
 * The developer toolchain, as the admin uses it: each tool runs, Nix through its daemon, Claude Code talks to
 * Context7. `context7`: whether the plan turns it on (it needs a newer Node.js than Debian 12's).
 */
export async function checkDevtools(vm: Vm, e: Expect, { context7: withContext7 = true } = {}): Promise<void> {
  const step = stepOf(e.plan, 'devtools')!;
  assert.ok(step.claude && step.gsd, 'the plan turns Claude Code and GSD on');
  assert.is(!!step.context7, withContext7, 'Context7 in the plan');
  // the pins the devtools step's code carries, Claude Code's for the guest's architecture
  const { context7 } = DEVTOOLS_PINS;
  const claude = DEVTOOLS_PINS.claude[vm.opts.arch === 'arm64' ? 'arm64' : 'x64'];
  for (const tool of ['git', 'gh', 'sqlite3', 'psql', 'redis-cli', 'cc', 'make', 'nix'])
    await asAdmin(vm, e, `${tool} --version`);
  assert.is((await asAdmin(vm, e, 'systemctl is-active nix-daemon.service')).trim(), 'active');
  // flakes and the nix command are on, and the admin reaches the store only through the daemon
  assert.is((await asAdmin(vm, e, "nix eval --expr '1 + 1'")).trim(), '2');
  await asAdmin(vm, e, 'nix store ping --store daemon');
  assert.match(await asAdmin(vm, e, 'claude --version'), `${claude.version} (Claude Code)`);
  assert.is(
    (
      await sudo(vm, e, `cat /usr/local/lib/firstboot-devtools/node_modules/${claude.name}/.firstboot-integrity`)
    ).trim(),
    claude.integrity,
  );
  if (withContext7) {
    assert.is(
      (await sudo(vm, e, 'cat /usr/local/lib/firstboot-devtools/context7/.firstboot-integrity')).trim(),
      context7.digest,
    );
    // Claude Code starts the Context7 server from the admin's settings and it answers (offline: no tool is called)
    const mcp = await asAdmin(vm, e, 'timeout 120 claude mcp get context7');
    assert.match(mcp, /Scope: User config/);
    assert.match(mcp, /Status: ✔ Connected/, mcp);
  }
  await checkGsd(vm, e);
  // the weekly Nix garbage collection: its timer waits for Sunday; a collection run by hand succeeds
  assert.is((await sudo(vm, e, 'systemctl is-active firstboot-nix-gc.timer')).trim(), 'active');
  await sudo(vm, e, 'systemctl start firstboot-nix-gc.service');
  assert.match(
    await sudo(vm, e, 'systemctl show firstboot-nix-gc.service -p Result -p ExecMainStatus'),
    /^Result=success\nExecMainStatus=0\n$/m,
  );
  assert.match(
    await sudo(vm, e, 'journalctl -u firstboot-nix-gc.service -o cat'),
    /\d+ store paths deleted, [\d.]+ \w+ freed/,
  );
}

/** each file GSD's manifest lists, with its owner: "OWNER PATH" lines (stat fails on a missing one) */
const GSD_FILES =
  `cd ~/.claude && node -p 'Object.keys(require("./gsd-file-manifest.json").files).join("\\n")' | ` +
  `xargs -d '\\n' stat -c '%U %n'`;

/** GSD as its installer laid it out for the admin, at the pinned version, and its SDK running */
async function checkGsd(vm: Vm, e: Expect): Promise<void> {
  const { gsd } = DEVTOOLS_PINS;
  const version = gsdVersion(gsd);
  assert.is((await sudo(vm, e, 'cat /usr/local/lib/firstboot-devtools/gsd/.firstboot-integrity')).trim(), gsd.digest);
  assert.is((await asAdmin(vm, e, 'cat ~/.claude/get-shit-done/VERSION')).trim(), version);
  const files = (await asAdmin(vm, e, GSD_FILES)).trim().split('\n');
  // skills, agents, hooks and get-shit-done/: some hundreds
  assert.ok(files.length > 100, `GSD's manifest lists ${files.length} files`);
  const others = files.filter((line) => !line.startsWith(`${admin(e.plan)} `));
  assert.equal(others, [], "files of GSD's that are not the admin's");
  assert.match(await asAdmin(vm, e, 'cat ~/.claude/settings.json'), /gsd-check-update\.js/);
  // the SDK on the distribution's Node.js: --version loads it whole, query is what GSD's workflows call
  assert.is((await asAdmin(vm, e, 'gsd-sdk --version')).trim(), `gsd-sdk v${version}`);
  assert.match(await asAdmin(vm, e, "cd && gsd-sdk query generate-slug 'first boot'"), /"slug": "first-boot"/);
}

export async function checkSshAudit(vm: Vm, e: Expect): Promise<void> {
  // ssh-audit opens several connections (one per host key type and more): let them have a whole window
  await pace(vm, PER_WINDOW);
  const { code, out } = await new Promise<{ code: number; out: string }>((resolve) =>
    execFile('ssh-audit', ['-n', '-p', String(vm.ports[sshPort(e.plan)]), '127.0.0.1'], (err, stdout) =>
      resolve({ code: typeof err?.code === 'number' ? err.code : 0, out: stdout }),
    ),
  );
  const fails = out.split('\n').filter((l) => l.includes('(fail)'));
  assert.equal(fails, [], `ssh-audit failures:\n${fails.join('\n')}`);
  assert.is.not(code, 3, out);
  await pace(vm, PER_WINDOW);
}

/**
 * Fails `maxretry` logins from the host (slirp's address, which fail2ban does not ignore) and
 * expects the next connection to be dropped; then reads fail2ban's log off the disk. It bans the
 * host and powers the VM off, so it comes last.
 */
export async function checkFail2banLast(vm: Vm, e: Expect, forged?: string): Promise<void> {
  const port = sshPort(e.plan);
  const jail = stepOf(e.plan, 'fail2ban');
  assert.ok(jail, 'the plan has no fail2ban step');
  for (let i = 0; i < jail!.maxretry + 1; i++) {
    await pace(vm);
    // the last tries may meet the ban (or ufw's limit): no banner ever comes
    await vm.ssh('nosuchuser', 'true', { port, key: e.key.private, timeoutMs: 40_000 });
  }
  let banned = false;
  for (let i = 0; i < 3 && !banned; i++) banned = !(await sshBanner(vm, port, 10_000));
  assert.ok(banned, 'still answering after failed logins');
  await vm.powerOff();
  const log = await vm.readFile('/var/log/fail2ban.log');
  assert.match(log ?? '', /\[sshd\] Ban \S+/, 'fail2ban.log has no sshd ban');
  // the real failures came after the forged lines, and fail2ban reads the journal in order
  if (forged) assert.not.match(log ?? '', forged, `fail2ban counted lines a local user forged:\n${log}`);
}

/** A second `firstboot run` on a converged server: every step unchanged, nothing under /etc touched. */
export async function checkRerun(vm: Vm, e: Expect): Promise<void> {
  const marker = '/run/firstboot-rerun-marker';
  await sudo(vm, e, `touch ${marker}`);
  await sudo(vm, e, 'firstboot run');
  assert.is((await sudo(vm, e, `find /etc -newer ${marker}`)).trim(), '', 'files under /etc changed');
  const status = JSON.parse(await sudo(vm, e, 'cat /var/lib/firstboot/status.json')) as {
    steps: { id: string; result: string }[];
  };
  assert.equal(
    status.steps.filter((s) => s.result !== 'ok').map((s) => `${s.id}: ${s.result}`),
    [],
  );
}
