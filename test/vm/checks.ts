// The checks a hardened server must pass, from outside (the real OpenSSH client, ssh-audit) and
// inside (ssh + sudo). The expected values come from the plan the user-data carries.
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import type { Plan } from '../../contract/plan';
import { DEVTOOLS_PINS } from '../../contract/devtools-pins';
import { KERNEL_SETTINGS, STATIC_IPV6_SETTINGS } from '../../contract/kernel-settings';
import { journalArgs, SSHD_JOURNAL } from '../../payload/lib/journal';
import { SUDO_AUDIT } from '../../payload/daily-report';
import { VM_IPV6 } from './metadata';
import { stepOf, type KeyPair } from './userdata';
import type { Vm } from './vm';

export interface Expect {
  plan: Plan;
  key: KeyPair;
  /** firewall rules beyond SSH, as `ufw status` prints them, e.g. "8080/tcp" */
  allow?: string[];
  /** rules that must not be there */
  absent?: string[];
  /** log in through the stand-in tailnet (VmOptions.tailnet), once SSH goes only there */
  tailnet?: boolean;
}

// ufw's `limit` rule drops a source that opens 6 connections within 30 s. The checks stay well under
// that (4 in 35 s: qemu and the guest's clock drift under TCG), so a refused connection is the
// server's answer (or fail2ban's), never the rate limit.
const opened = new WeakMap<Vm, number[]>();
const WINDOW_MS = 35_000;
const PER_WINDOW = 4;

/** Waits until `count` more connections to `vm` stay within ufw's limit, and records them. */
async function pace(vm: Vm, count = 1): Promise<void> {
  const times = opened.get(vm) ?? [];
  opened.set(vm, times);
  for (let i = 0; i < count; i++) {
    for (;;) {
      const recent = times.filter((t) => Date.now() - t < WINDOW_MS);
      if (recent.length < PER_WINDOW) break;
      await new Promise((res) => setTimeout(res, Math.min(...recent) + WINDOW_MS - Date.now()));
    }
    times.push(Date.now());
  }
}

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

export function admin(plan: Plan): string {
  const step = stepOf(plan, 'admin');
  if (!step) throw new Error('the plan has no admin step');
  return step.name;
}

export function sshPort(plan: Plan): number {
  return stepOf(plan, 'ssh')?.port ?? 22;
}

/** VMs whose admin connection (ControlMaster) is open: opening it counts against ufw's limit, reusing it does not. */
const shared = new WeakSet<Vm>();

/** Runs `command` as the admin over one shared connection; asserts it exits 0 and returns stdout. */
export async function asAdmin(vm: Vm, e: Expect, command: string): Promise<string> {
  if (!shared.has(vm)) {
    await pace(vm);
    shared.add(vm);
  }
  const r = await vm.ssh(admin(e.plan), command, {
    port: sshPort(e.plan),
    key: e.key.private,
    reuse: true,
    tailnet: e.tailnet,
  });
  assert.is(r.code, 0, `${command} exited ${r.code}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

export const sudo = (vm: Vm, e: Expect, command: string): Promise<string> => asAdmin(vm, e, `sudo -n ${command}`);

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
    `echo ${Buffer.from(driver).toString('base64')} | base64 -d > /tmp/console.py && sudo -n python3 /tmp/console.py ${admin(e.plan)}`,
    {
      port: sshPort(e.plan),
      key: e.key.private,
      reuse: true,
      tailnet: e.tailnet,
      input: `${password}\n`,
    },
  );
  console.log(
    `# ${vm.opts.name}: the console login\n${r.stdout.replace(password, '(password)').trim().split('\n').slice(-3).join('\n')}`,
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

/** The developer toolchain, as the admin uses it: each tool runs, Nix through its daemon, Claude Code talks to Context7. */
export async function checkDevtools(vm: Vm, e: Expect): Promise<void> {
  const step = stepOf(e.plan, 'devtools')!;
  assert.ok(step.claude && step.context7, 'the plan turns Claude Code and Context7 on');
  // the pins the devtools step's code carries
  const { claude, context7 } = DEVTOOLS_PINS;
  for (const tool of ['git', 'gh', 'sqlite3', 'psql', 'redis-cli', 'cc', 'make', 'nix'])
    await asAdmin(vm, e, `${tool} --version`);
  assert.is((await asAdmin(vm, e, 'systemctl is-active nix-daemon.service')).trim(), 'active');
  // flakes and the nix command are on, and the admin reaches the store only through the daemon
  assert.is((await asAdmin(vm, e, "nix eval --expr '1 + 1'")).trim(), '2');
  await asAdmin(vm, e, 'nix store ping --store daemon');
  assert.match(await asAdmin(vm, e, 'claude --version'), `${claude.x64.version} (Claude Code)`);
  assert.is(
    (
      await sudo(vm, e, `cat /usr/local/lib/firstboot-devtools/node_modules/${claude.x64.name}/.firstboot-integrity`)
    ).trim(),
    claude.x64.integrity,
  );
  assert.is(
    (await sudo(vm, e, 'cat /usr/local/lib/firstboot-devtools/context7/.firstboot-integrity')).trim(),
    context7.digest,
  );
  // Claude Code starts the Context7 server from the admin's settings and it answers (offline: no tool is called)
  const mcp = await asAdmin(vm, e, 'timeout 120 claude mcp get context7');
  assert.match(mcp, /Scope: User config/);
  assert.match(mcp, /Status: ✔ Connected/, mcp);
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

/** Where the forged lines say the failures came from: no check connects from it. */
export const FORGED_FROM = '192.0.2.66';

/** sshd's own binaries run with this loaded log the line FORGE_TIMES times as FORGE_ID, and stop. */
const PRELOAD = `#include <stdlib.h>
#include <syslog.h>
__attribute__((constructor)) static void forge(void) {
  openlog(getenv("FORGE_ID"), LOG_PID, LOG_AUTH);
  for (int i = 0; i < atoi(getenv("FORGE_TIMES")); i++) syslog(LOG_INFO, "%s", getenv("FORGE_LINE"));
  exit(0);
}
`;

/**
 * A USER_CMD record sent straight to the kernel's audit socket, as sudo's libaudit sends it: the kernel
 * takes it only from a process with CAP_AUDIT_WRITE in the initial user namespace, so a user gets EPERM,
 * and ECONNREFUSED from a user namespace of their own (where they are "root").
 */
const AUDIT_FORGE = `#include <linux/audit.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#define AUDIT_USER_CMD 1123 /* libaudit.h's, not the kernel header's */
int main(int argc, char **argv) {
  struct { struct nlmsghdr h; char text[256]; } m = {0};
  struct { struct nlmsghdr h; struct nlmsgerr e; } ack = {0};
  struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
  int fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_AUDIT);
  if (fd < 0) return perror("socket"), 1;
  snprintf(m.text, sizeof m.text, "cwd=\\"/\\" cmd=%s exe=\\"/usr/bin/sudo\\" terminal=pts/0 res=success", argv[1]);
  m.h.nlmsg_len = NLMSG_LENGTH(strlen(m.text) + 1);
  m.h.nlmsg_type = AUDIT_USER_CMD;
  m.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  if (sendto(fd, &m, m.h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) return perror("sendto"), 1;
  if (recv(fd, &ack, sizeof ack, 0) < 0) return perror("recv"), 1;
  if (ack.h.nlmsg_type == NLMSG_ERROR && ack.e.error) return fprintf(stderr, "%s\\n", strerror(-ack.e.error)), 1;
  return puts("sent"), 0;
}
`;

/**
 * As the admin without sudo, i.e. any local user: "Failed password for root from FORGED_FROM" more
 * often than the jail allows, every way a user can make it look like sshd's (copies of logger and cat
 * named sshd, logger and systemd-cat tags, and with a C compiler, sshd's and sshd-session's own
 * binaries with code of the user's loaded), and sudo lines likewise: a copy of logger named sudo, and
 * logger bind-mounted over /usr/bin/sudo in a user and mount namespace of the user's own (`unshare
 * -Urm`), which journald records as _EXE=/usr/bin/sudo; with a C compiler, USER_CMD records sent to the
 * kernel's audit socket too, as the user and from such a namespace. The forged lines must be in the
 * journal, yet not in what the fail2ban jail and the report read (payload/lib/journal.ts, sudo's audit
 * records: payload/daily-report.ts), while the real logins and sudo commands are; checkFail2banLast
 * then shows fail2ban found nothing from there.
 */
export async function forgeSshdLines(vm: Vm, e: Expect, opts: { preload: boolean }): Promise<void> {
  const times = stepOf(e.plan, 'fail2ban')!.maxretry + 2;
  const line = `Failed password for root from ${FORGED_FROM} port 4242 ssh2`;
  const script = `set -e
cd "$(mktemp -d)"; mkdir l c
cp /usr/bin/logger l/sshd; cp /usr/bin/logger l/sshd-session; cp /usr/bin/logger l/sudo; cp /bin/cat c/sshd
for i in $(seq ${times}); do
  l/sshd -t sshd -p auth.info '${line}'
  l/sshd-session -t sshd-session -p auth.info '${line}'
  logger -t sshd -p auth.info '${line}'
  echo '${line}' | systemd-cat -t sshd c/sshd
done
l/sudo -t sudo 'admin : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/usr/bin/forged'
echo "userns: $(cat /proc/sys/kernel/unprivileged_userns_clone 2>/dev/null || echo -) apparmor: $(cat /proc/sys/kernel/apparmor_restrict_unprivileged_userns 2>/dev/null || echo -)"
# logger reads the line from a pipe kept open, so it is still alive when journald looks up its _EXE
if unshare -Urm sh -c 'mount --bind "$1" /usr/bin/sudo && { echo "admin : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/usr/bin/forged-userns"; sleep 10; } | /usr/bin/sudo -t sudo' sh "$PWD/l/sudo"; then
  echo userns-forged
else
  echo userns-refused
fi
${
  opts.preload
    ? `cat > forge.c <<'EOF'
${PRELOAD}EOF
cc -shared -fPIC -o forge.so forge.c
for exe in /usr/sbin/sshd /usr/lib/openssh/sshd-session; do
  [ -x $exe ] && FORGE_ID=$(basename $exe) FORGE_TIMES=${times} FORGE_LINE='${line}' LD_PRELOAD=$PWD/forge.so $exe
done
echo preloaded
cat > audit.c <<'EOF'
${AUDIT_FORGE}EOF
cc -o audit audit.c
echo "audit as the user: $(./audit /usr/bin/forged-audit 2>&1)"
echo "audit in a user namespace: $(unshare -Ur ./audit /usr/bin/forged-audit-userns 2>&1)"`
    : ''
}
`;
  const out = await asAdmin(vm, e, `echo ${Buffer.from(script).toString('base64')} | base64 -d | bash`);
  console.log(
    `# ${vm.opts.name}: the sudo forgeries\n${out
      .split('\n')
      .filter((l) => /^(userns|audit)/.test(l))
      .join('\n')}`,
  );
  if (opts.preload) {
    assert.match(out, /preloaded/);
    assert.match(out, /^audit as the user: Operation not permitted$/m, "the kernel took a user's audit record");
    if (/^userns-forged$/m.test(out))
      assert.match(
        out,
        /^audit in a user namespace: Connection refused$/m,
        'the kernel took an audit record from a user namespace',
      );
  }
  await new Promise((res) => setTimeout(res, 5_000)); // journald and fail2ban catch up
  const all = await sudo(vm, e, `journalctl -q -o cat --since -1h --grep ${FORGED_FROM}`);
  assert.ok(
    all.split('\n').filter((l) => l === line).length >= 4 * times + (opts.preload ? times : 0),
    `the forged lines did not reach the journal:\n${all}`,
  );
  console.log(
    `# ${vm.opts.name}: an sshd line as journald records it\n${await sudo(vm, e, `journalctl -q -o verbose -n 1 --output-fields=_UID,_EXE,_COMM,_SYSTEMD_UNIT,SYSLOG_IDENTIFIER --grep '^Accepted publickey for ${admin(e.plan)}' || true`)}`,
  );
  const sshd = await sudo(vm, e, `journalctl -q -o cat --since -1h ${journalArgs(SSHD_JOURNAL).join(' ')}`);
  assert.not.match(sshd, FORGED_FROM, "a forged line passes the jail's and the report's match");
  assert.match(
    sshd,
    new RegExp(`^Accepted publickey for ${admin(e.plan)} from `, 'm'),
    "the match misses sshd's real logins",
  );
  // the journal's _EXE match (what the report read before) takes the namespace's line: the reason it reads the audit log
  if (/^userns-forged$/m.test(out)) {
    console.log(
      `# ${vm.opts.name}: the namespace's sudo line as journald records it\n${await sudo(vm, e, 'journalctl -q -o verbose --output-fields=_UID,_EXE,_COMM,SYSLOG_IDENTIFIER --grep forged-userns')}`,
    );
    assert.match(
      await sudo(vm, e, 'journalctl -q -o cat --since -1h _EXE=/usr/bin/sudo'),
      'COMMAND=/usr/bin/forged-userns',
      'journald did not record the bind-mounted program as /usr/bin/sudo',
    );
  } else
    console.log(`# ${vm.opts.name}: unprivileged user namespaces are refused here; the namespace forgery is not tried`);
  const sudoLines = await sudo(vm, e, SUDO_AUDIT(['boot']).join(' '));
  console.log(
    `# ${vm.opts.name}: sudo as the report reads it (last 3)\n${sudoLines.trim().split('\n').slice(-3).join('\n')}`,
  );
  // the forged commands are /usr/bin/forged*; the real sudo lines above name them as journalctl's --grep
  assert.not.match(sudoLines, /ran-command \/usr\/bin\/forged/, 'a forged sudo line is in what the report reads');
  assert.match(
    sudoLines,
    new RegExp(`^At \\S+ \\S+ ${admin(e.plan)} successfully ran-command (\\S*/)?journalctl -q -o cat `, 'm'),
    "the audit log misses sudo's real commands",
  );
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
