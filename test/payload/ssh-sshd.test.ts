// Contract: the ssh step against the real OpenSSH of this machine (Debian's openssh-server, which
// scripts/test-deps installs). sshd, `ssh -Q` and `ssh-keygen -l` answer for real, reading the drop-in the
// step wrote and a Debian-like main config with cloud-init's drop-in beside it; only systemd, ufw
// and the namespace probe are the recording shell's. A fake sshd would agree with anything: this one
// applies first-value-wins, Match blocks and its own spelling of keywords and values.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ssh, answerWait } from '../../payload/steps/ssh';
import { sshPlan } from '../../generator/capabilities/ssh';
import { stepContext } from './context';
import { probeNamespace } from './probe';
import { rejects } from '../rejects';
import { needs } from '../needs';
import { UFW_LOADED } from '../fakes/server';

answerWait.pauseMs = 0;

const SSHD = '/usr/sbin/sshd';
const DROP_IN = '/etc/ssh/sshd_config.d/00-firstboot.conf';
const ADMIN_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINQur/rZ9TBsuK9LDYPMLWxYD15U4YeWKAC2I/kuCgSc fx@laptop';

/** Debian 12's /etc/ssh/sshd_config, uncommented lines, with its Include pointed at `dir`. */
const mainConfig = (dir: string) => `Include ${dir}/sshd_config.d/*.conf
KbdInteractiveAuthentication no
UsePAM yes
X11Forwarding yes
PrintMotd no
AcceptEnv LANG LC_*
Subsystem sftp /usr/lib/openssh/sftp-server
`;

const run = (cmd: string, args: string[], input?: string) => {
  const out = spawnSync(cmd, args, { encoding: 'utf8', input });
  return { stdout: out.stdout, stderr: out.stderr, exitCode: out.status ?? 1 };
};

/** A stock Debian 12 server whose sshd is the real one, with `cloudInit` as cloud-init's drop-in. */
function realServer(cloudInit: string) {
  needs(SSHD, 'openssh-server');
  needs('ssh', 'openssh-client');
  const dir = mkdtempSync(join(tmpdir(), 'firstboot-sshd-'));
  mkdirSync(join(dir, 'sshd_config.d'));
  writeFileSync(join(dir, 'sshd_config'), mainConfig(dir));
  writeFileSync(join(dir, 'sshd_config.d', '50-cloud-init.conf'), cloudInit);
  mkdirSync('/run/sshd', { recursive: true }); // sshd -t wants its privilege separation directory

  const params = sshPlan({ port: 2222, admin: 'fx' });
  const ctx = stepContext(params, {
    steps: [{ id: 'admin', name: 'fx', shell: '/bin/bash', keys: [ADMIN_KEY] }, params],
  });
  // sshd reads the drop-in the step wrote into the fake file system, from the real folder
  const sshd = (cmd: string) => {
    writeFileSync(join(dir, 'sshd_config.d', '00-firstboot.conf'), ctx.fs.files.get(DROP_IN)?.content ?? '');
    // the drop-in's HostKey lines name /etc/ssh's keys, which the openssh-server package made
    return run(SSHD, [...cmd.split(' ').slice(1), '-f', join(dir, 'sshd_config')]);
  };
  ctx.$.on(/^sshd -[tT]/, sshd)
    .on(/^ssh -Q \S+$/, (cmd) => run('ssh', cmd.split(' ').slice(1)))
    .on('ssh-keygen -l -f /dev/stdin', (_, { input }) => run('ssh-keygen', ['-l', '-f', '/dev/stdin'], input))
    .on(/^ssh-keygen -lf /, (cmd) => run('ssh-keygen', ['-lf', cmd.split(' ')[2]]))
    .on('systemctl is-enabled --quiet ssh.socket', { exitCode: 1 })
    .on('systemctl is-active --quiet ssh', {}) // Debian 12: ssh.service runs, so a reload picks up the drop-in
    .on('systemctl reload ssh', {})
    .on(UFW_LOADED, { exitCode: 1 })
    .on(/^ip netns exec firstboot-probe ssh-keyscan /, { stdout: '198.18.255.253 ssh-ed25519 AAAAC3Nza\n' });
  probeNamespace(ctx.$);
  for (const type of ['rsa', 'ed25519'])
    ctx.fs.seed(`/etc/ssh/ssh_host_${type}_key`, 'PRIVATE', 0o600).seed(`/etc/ssh/ssh_host_${type}_key.pub`, 'PUBLIC');
  ctx.$.on(/^ssh-keygen -lf .*rsa/, { stdout: '3072 SHA256:abc root@dev1 (RSA)\n' });
  return { ctx, effective: () => sshd('sshd -T -C user=fx,host=localhost,addr=127.0.0.1').stdout };
}

const reloads = (commands: string[]) => commands.filter((c) => /^systemctl (reload|restart)/.test(c));

test("the step's drop-in on the real sshd: every planned value is in effect, spelt as sshd spells it", async () => {
  const { ctx, effective } = realServer('PasswordAuthentication no\n');
  await ssh.apply(ctx);
  const values = effective();
  for (const line of [
    'port 2222',
    'permitrootlogin no',
    'passwordauthentication no',
    'kbdinteractiveauthentication no',
    'allowusers fx',
    'maxauthtries 3',
    'requiredrsasize 3072',
    'x11forwarding no',
    'allowtcpforwarding no',
    'maxstartups 10:30:60',
  ]) {
    assert.ok(values.split('\n').includes(line), `sshd -T lacks "${line}"`);
  }
  assert.equal(await ssh.check(ctx), []);
  assert.equal(await ssh.verify(ctx), []);
});

test(
  "cloud-init's Match block that lets the admin use a password is caught: " + 'old config kept, nothing reloaded',
  async () => {
    const { ctx } = realServer('PasswordAuthentication no\nMatch User fx\n  PasswordAuthentication yes\n');
    ctx.fs.seed(DROP_IN, '# the old one\n');
    await rejects(
      () => ssh.apply(ctx),
      /kept the old sshd configuration: sshd uses passwordauthentication yes, wants no/,
    );
    assert.is(ctx.fs.files.get(DROP_IN)!.content, '# the old one\n');
    assert.equal(reloads(ctx.$.commands), []);
  },
);

test('a cloud-init drop-in sshd -t refuses keeps the old config', async () => {
  const { ctx } = realServer('PasswordAuthentication maybe\n');
  await rejects(
    () => ssh.apply(ctx),
    /kept the old sshd configuration: sshd -t: .*50-cloud-init.conf line 1: unsupported option "maybe"/,
  );
  assert.not.ok(ctx.fs.files.has(DROP_IN));
  assert.equal(reloads(ctx.$.commands), []);
});

test.run();
