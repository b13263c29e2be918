// Forged log lines: a local user without sudo making failed root logins and sudo commands look like sshd's and
// sudo's own, every way a user can; the jail and the report must count none of them.
import * as assert from 'uvu/assert';
import { journalArgs, SSHD_JOURNAL } from '../../payload/lib/journal';
import { SUDO_AUDIT } from '../../payload/daily-report';
import { stepOf } from './userdata';
import type { Vm } from './vm';
import { type Expect, admin, asAdmin, sudo } from './access';

/** Where the forged lines say the failures came from: no check connects from it. */
export const FORGED_FROM = '192.0.2.66';

/** sshd's own binaries run with this loaded log the line FORGE_TIMES times as FORGE_ID, and stop. */
export const PRELOAD = `#include <stdlib.h>
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
export const AUDIT_FORGE = `#include <linux/audit.h>
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
echo "userns: $(cat /proc/sys/kernel/unprivileged_userns_clone 2>/dev/null || echo -) apparmor: $(cat \
/proc/sys/kernel/apparmor_restrict_unprivileged_userns 2>/dev/null || echo -)"
# logger reads the line from a pipe kept open, so it is still alive when journald looks up its _EXE
if unshare -Urm sh -c 'mount --bind "$1" /usr/bin/sudo && { echo "admin : TTY=pts/0 ; PWD=/ ; USER=root ; \
COMMAND=/usr/bin/forged-userns"; sleep 10; } | /usr/bin/sudo -t sudo' sh "$PWD/l/sudo"; then
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
  const verbose = await sudo(
    vm,
    e,
    'journalctl -q -o verbose -n 1 --output-fields=_UID,_EXE,_COMM,_SYSTEMD_UNIT,SYSLOG_IDENTIFIER ' +
      `--grep '^Accepted publickey for ${admin(e.plan)}' || true`,
  );
  console.log(`# ${vm.opts.name}: an sshd line as journald records it\n${verbose}`);
  const sshd = await sudo(vm, e, `journalctl -q -o cat --since -1h ${journalArgs(SSHD_JOURNAL).join(' ')}`);
  assert.not.match(sshd, FORGED_FROM, "a forged line passes the jail's and the report's match");
  assert.match(
    sshd,
    new RegExp(`^Accepted publickey for ${admin(e.plan)} from `, 'm'),
    "the match misses sshd's real logins",
  );
  // the journal's _EXE match (what the report read before) takes
  // the namespace's line: the reason it reads the audit log
  if (/^userns-forged$/m.test(out)) {
    const verbose = await sudo(
      vm,
      e,
      'journalctl -q -o verbose --output-fields=_UID,_EXE,_COMM,SYSLOG_IDENTIFIER --grep forged-userns',
    );
    console.log(`# ${vm.opts.name}: the namespace's sudo line as journald records it\n${verbose}`);
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
