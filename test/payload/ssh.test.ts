import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ssh, answerWait } from '../../payload/steps/ssh';
import { sshPlan } from '../../generator/capabilities/ssh';
import { ADMIN_ED25519, sshHost, type SshHost } from './ssh-host';
import { effectiveSshd, UFW_LOADED } from '../fakes/server';
import { ufwRuleFiles } from '../fakes/ufw-files';
import { rejects } from '../rejects';

answerWait.pauseMs = 0;

const DROP_IN = '/etc/ssh/sshd_config.d/00-firstboot.conf';
const SOCKET = '/etc/systemd/system/ssh.socket.d/00-firstboot.conf';

const ED25519 = ADMIN_ED25519;
/** an RSA key line whose comment says its size, which the fake ssh-keygen reads back */
const rsa = (bits: number) => `ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQ rsa-${bits}`;

interface Debian12 extends SshHost {
  ufwActive?: boolean;
  /** with ufwActive: its rules, as `ufw show added` lists them without "ufw " (default: limit 22/tcp) */
  ufwRules?: string[];
  before?: string[];
}

function debian12(params = sshPlan({ port: 22, admin: 'fx' }), opts: Debian12 = {}) {
  const ctx = sshHost(params, opts);
  const effective = (before = opts.before) => effectiveSshd(ctx.fs, before);
  ctx.$.on(UFW_LOADED, { exitCode: opts.ufwActive ? 0 : 1 })
    .on(/^sshd -T/, () => ({ stdout: effective() }))
    .on(/^ip netns exec firstboot-probe ssh-keyscan /, { stdout: '198.18.255.253 ssh-ed25519 AAAAC3Nza\n' })
    .on('sshd -t', {}); // a valid configuration: silent, exit 0
  // how sshd picks up the new files: ssh.socket is restarted, a running ssh.service reloaded
  if (opts.socket) ctx.$.on('systemctl daemon-reload', {}).on('systemctl restart ssh.socket', {});
  else ctx.$.on('systemctl reload ssh', {});
  if (opts.ufwActive) {
    // ufw's rules, and the one the step may add for the new port
    const rules = [...(opts.ufwRules ?? ['limit 22/tcp'])];
    ufwRuleFiles(ctx.fs, () => rules);
    ctx.$.on(
      `ufw limit ${params.port}/tcp comment 'firstboot ssh'`,
      (cmd) => (rules.push(cmd.slice(4)), { stdout: 'Rule added\nRule added (v6)\n' }),
    );
  }
  return Object.assign(ctx, { effective });
}

const stateChanging = (cmd: string) => /^(systemctl (reload|restart|daemon-reload)|ufw limit|ssh-keygen -q)/.test(cmd);

test('stock Debian 12: drift found, then one apply converges and a second check is empty', async () => {
  const ctx = debian12();
  const drift = await ssh.check(ctx);
  assert.ok(drift.includes('/etc/ssh/ssh_host_ecdsa_key is a ecdsa host key'));
  assert.ok(drift.includes('/etc/ssh/moduli has groups below 3072 bits'));
  assert.ok(drift.includes(`${DROP_IN} is missing`));
  assert.ok(drift.includes('sshd has not loaded the current configuration'));

  await ssh.apply(ctx);
  const conf = ctx.fs.files.get(DROP_IN)!.content!;
  assert.match(conf, /^# Written by firstboot/);
  assert.match(conf, /\nPort 22\nPermitRootLogin no\nPasswordAuthentication no\n/);
  assert.match(conf, /\nAllowUsers fx\n/);
  // narrowed to what OpenSSH 9.2 knows, in the plan's order
  assert.match(
    conf,
    /\nKexAlgorithms sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,diffie-hellman-group18-sha512,diffie-hellman-group16-sha512,diffie-hellman-group-exchange-sha256\n/,
  );
  assert.match(conf, /\nMACs hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com,umac-128-etm@openssh.com\n/);
  assert.match(
    conf,
    /\nHostKeyAlgorithms ssh-ed25519,ssh-ed25519-cert-v01@openssh.com,sk-ssh-ed25519@openssh.com,rsa-sha2-512,rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256\n/,
  );
  assert.match(conf, /\nHostKey \/etc\/ssh\/ssh_host_ed25519_key\nHostKey \/etc\/ssh\/ssh_host_rsa_key\n$/);
  assert.not.ok(ctx.fs.files.has('/etc/ssh/ssh_host_ecdsa_key'));
  assert.not.ok(ctx.fs.files.has('/etc/ssh/ssh_host_ecdsa_key.pub'));
  assert.is(
    ctx.fs.files.get('/etc/ssh/moduli')!.content,
    '# Time Type Tests Tries Size Generator Modulus\n20230101 2 6 100 3071 2 EEEE\n20230101 2 6 100 4095 5 DDDD\n',
  );
  assert.not.ok(ctx.fs.files.has(SOCKET), 'no socket drop-in where sshd runs as a service');
  const order = ctx.$.commands
    .filter((c) => /^(sshd -t|sshd -T|systemctl reload|ip netns exec)/.test(c))
    .map((c) => c.split(' ').slice(0, 2).join(' '));
  assert.equal(order.slice(0, 4), ['sshd -t', 'sshd -T', 'systemctl reload', 'ip netns']);

  assert.equal(await ssh.check(ctx), []);
  assert.equal(await ssh.verify(ctx), []);
});

test('a converged machine: check, verify and the runner change nothing; a run asks sshd once', async () => {
  const ctx = debian12();
  await ssh.apply(ctx);
  const writes = ctx.fs.writes.length;
  const commands = ctx.$.commands.length;
  assert.equal(await ssh.check(ctx), []);
  assert.equal(await ssh.verify(ctx), []);
  assert.is(ctx.fs.writes.length, writes);
  assert.equal(ctx.$.commands.slice(commands).filter(stateChanging), []);
  // verify right after apply takes apply's proof; a later one (firstboot check) asks sshd again
  const probes = () => ctx.$.commands.filter((c) => c.includes('ssh-keyscan')).length;
  assert.is(probes(), 1);
  assert.equal(await ssh.verify(ctx), []);
  assert.is(probes(), 2);
});

const SCAN_2222 = 'ip netns exec firstboot-probe ssh-keyscan -T 5 -p 2222 -t ed25519 198.18.255.253';
test('Ubuntu-style ssh.socket on a new port: the firewall opens it before the socket moves', async () => {
  const ctx = debian12(sshPlan({ port: 2222, admin: 'ops' }), { socket: true, ufwActive: true });
  await ssh.apply(ctx);
  assert.is(
    ctx.fs.files.get(SOCKET)!.content!.split('\n').slice(1).join('\n'),
    '[Socket]\nListenStream=\nListenStream=2222\n',
  );
  const moves = ctx.$.commands.filter(stateChanging);
  assert.equal(moves, [
    "ufw limit 2222/tcp comment 'firstboot ssh'",
    'systemctl daemon-reload',
    'systemctl restart ssh.socket',
  ]);
  // asked from a network namespace, across the firewall, not over loopback
  const scanned = ctx.$.commands.lastIndexOf(SCAN_2222);
  assert.ok(scanned >= 0);
  const cleared = ctx.$.commands.indexOf('ip netns delete firstboot-probe', scanned);
  assert.ok(cleared > scanned, 'the probe leaves nothing behind');
  assert.equal(await ssh.check(ctx), []);
});

test("lockout rule 2: ufw's rules are parsed: a listed 2222/tcp does not open 22 or 222", async () => {
  for (const [port, listed, opens] of [
    [22, ['limit 2222/tcp'], true],
    [222, ['limit 2222/tcp', 'allow 22/udp'], true],
    [2222, ['limit 22/tcp', 'allow 2222/udp', 'deny 2222/tcp'], true],
    [2222, ['limit 2222/tcp'], false],
    [2222, ['allow 2000:3000/tcp'], false],
  ] as const) {
    const ctx = debian12(sshPlan({ port, admin: 'fx' }), { ufwActive: true, ufwRules: [...listed] });
    await ssh.apply(ctx);
    const added = ctx.$.commands.filter((c) => c.startsWith('ufw limit'));
    assert.equal(
      added,
      opens ? [`ufw limit ${port}/tcp comment 'firstboot ssh'`] : [],
      `${port} with ${listed.join(', ')}`,
    );
  }
});

test('lockout rule 2: a failing ufw limit stops the step before sshd moves', async () => {
  for (const socket of [false, true]) {
    const ctx = debian12(sshPlan({ port: 2222, admin: 'fx' }), { ufwActive: true, socket });
    ctx.fs.seed(DROP_IN, '# the old one\nPort 22\n');
    ctx.$.on('ufw limit', { exitCode: 1, stderr: 'ERROR: Could not update running firewall' });
    await rejects(
      () => ssh.apply(ctx),
      /kept the old sshd configuration: the firewall did not open port 2222: .*Could not update running firewall/,
    );
    assert.equal(
      ctx.$.commands.filter((c) => /^systemctl (reload|restart)/.test(c)),
      [],
    );
    // nothing left for the next boot to move sshd with
    assert.is(ctx.fs.files.get(DROP_IN)!.content, '# the old one\nPort 22\n');
    assert.not.ok(ctx.fs.files.has(SOCKET));
  }
});

test('lockout rule 1: an earlier file that wins over ours keeps the old config and nothing reloads', async () => {
  const ctx = debian12(undefined, { before: ['PasswordAuthentication yes'] });
  ctx.fs.seed(DROP_IN, '# the old one\nPort 22\n');
  await rejects(
    () => ssh.apply(ctx),
    /kept the old sshd configuration: sshd uses passwordauthentication yes, wants no/,
  );
  assert.is(ctx.fs.files.get(DROP_IN)!.content, '# the old one\nPort 22\n');
  assert.equal(
    ctx.$.commands.filter((c) => /^systemctl (reload|restart)/.test(c)),
    [],
  );
});

test('lockout rule 1: sshd -t failing removes our new file', async () => {
  const ctx = debian12();
  ctx.$.on('sshd -t', {
    exitCode: 255,
    stderr: '/etc/ssh/sshd_config.d/00-firstboot.conf line 31: Bad SSH2 KexAlgorithms',
  });
  await rejects(() => ssh.apply(ctx), /sshd -t: .*Bad SSH2 KexAlgorithms/);
  assert.not.ok(ctx.fs.files.has(DROP_IN));
  assert.equal(
    ctx.$.commands.filter((c) => /^systemctl (reload|restart)/.test(c)),
    [],
  );
});

test('sshd that does not answer after the reload gets the old file back and is reloaded again', async () => {
  answerWait.tries = 2;
  const ctx = debian12();
  ctx.fs.seed(DROP_IN, '# the old one\n');
  ctx.$.on(/^ip netns exec firstboot-probe ssh-keyscan /, { exitCode: 1 });
  await rejects(() => ssh.apply(ctx), /did not answer on port 22; restored the old configuration/);
  answerWait.tries = 10;
  assert.is(ctx.fs.files.get(DROP_IN)!.content, '# the old one\n');
  assert.is(ctx.$.commands.filter((c) => c === 'systemctl reload ssh').length, 2);
  assert.not.ok(ctx.fs.files.has('/var/lib/firstboot/ssh-loaded'));
});

test("lockout rule 4: sshd as planned must take one of the admin's keys, or nothing changes", async () => {
  for (const keys of [[rsa(2048)], [rsa(3071)]]) {
    const ctx = debian12(undefined, { adminKeys: keys });
    ctx.fs.seed(DROP_IN, '# the old one\n');
    await rejects(
      () => ssh.apply(ctx),
      /kept the old sshd configuration: sshd would accept none of the admin's keys \(PubkeyAcceptedAlgorithms, RequiredRSASize 3072\)/,
    );
    assert.is(ctx.fs.files.get(DROP_IN)!.content, '# the old one\n');
    assert.equal(
      ctx.$.commands.filter((c) => /^systemctl (reload|restart)/.test(c)),
      [],
    );
  }
  // one good key is enough, whichever it is
  for (const keys of [[rsa(2048), ED25519], [rsa(3072)], [rsa(4096), rsa(1024)]])
    await ssh.apply(debian12(undefined, { adminKeys: keys }));
  // an earlier file that narrows the accepted algorithms counts, as sshd -T says
  const narrowed = debian12(undefined, { before: ['PubkeyAcceptedAlgorithms rsa-sha2-512'] });
  await rejects(() => ssh.apply(narrowed), /accept none of the admin's keys/);
  // and verify names it on a live server whose sshd was changed behind firstboot's back
  const ctx = debian12();
  await ssh.apply(ctx);
  ctx.$.on(/^sshd -T/, () => ({ stdout: ctx.effective(['PubkeyAcceptedAlgorithms rsa-sha2-512']) }));
  assert.ok((await ssh.verify(ctx)).some((p) => p.includes("accept none of the admin's keys")));
});

test('a short RSA host key is replaced by a 4096-bit one', async () => {
  const ctx = debian12(undefined, { rsaBits: 2048 });
  assert.ok((await ssh.check(ctx)).includes('/etc/ssh/ssh_host_rsa_key has 2048 bits, wants at least 3072'));
  // ssh-keygen -q writes a new pair silently; from then on it measures 4096 bits
  ctx.$.on("ssh-keygen -q -t rsa -b 4096 -N '' -C '' -f /etc/ssh/ssh_host_rsa_key", () => {
    ctx.fs.seed('/etc/ssh/ssh_host_rsa_key', 'PRIVATE 2', 0o600).seed('/etc/ssh/ssh_host_rsa_key.pub', 'PUBLIC 2');
    ctx.$.on(/^ssh-keygen -lf .*rsa/, { stdout: '4096 SHA256:def root@dev1 (RSA)\n' });
    return {};
  });
  await ssh.apply(ctx);
  // made (only ssh-keygen -q makes it measure 4096), and measured anew in the same run
  assert.not.ok((await ssh.check(ctx)).join().includes('ssh_host_rsa_key'));
});

test('a lost reload (file right, sshd never reloaded) is drift', async () => {
  const ctx = debian12();
  await ssh.apply(ctx);
  await ctx.fs.remove('/var/lib/firstboot/ssh-loaded');
  assert.equal(await ssh.check(ctx), ['sshd has not loaded the current configuration']);
});

test('verify names effective values that differ and a silent port', async () => {
  const ctx = debian12();
  await ssh.apply(ctx);
  await ssh.verify(ctx); // the run's own, which takes apply's proof: the next one asks sshd
  ctx.$.on(/^sshd -T/, () => ({ stdout: ctx.effective().replace('permitrootlogin no', 'permitrootlogin yes') }));
  ctx.$.on(/^ip netns exec firstboot-probe ssh-keyscan /, { exitCode: 1 });
  assert.equal(await ssh.verify(ctx), ['sshd uses permitrootlogin yes, wants no', 'sshd does not answer on port 22']);
});

test("sshd_config and every drop-in, cloud-init's included, become readable by root only", async () => {
  const ctx = debian12();
  ctx.fs
    .seed('/etc/ssh/sshd_config', 'Include /etc/ssh/sshd_config.d/*.conf\n', 0o644)
    .seed('/etc/ssh/sshd_config.d/50-cloud-init.conf', 'PasswordAuthentication yes\n', 0o644);
  const drift = await ssh.check(ctx);
  assert.ok(drift.includes('/etc/ssh/sshd_config is readable by others than root'), drift.join('\n'));
  assert.ok(
    drift.includes('/etc/ssh/sshd_config.d/50-cloud-init.conf is readable by others than root'),
    drift.join('\n'),
  );
  await ssh.apply(ctx);
  for (const path of ['/etc/ssh/sshd_config', '/etc/ssh/sshd_config.d/50-cloud-init.conf', DROP_IN])
    assert.is((await ctx.fs.stat(path))!.mode, 0o600, path);
  assert.equal(await ssh.check(ctx), []);
});

test(
  "verify: sshd that still announces the distribution's " + 'patch level (DebianBanner not in effect) is a problem',
  async () => {
    const ctx = debian12();
    await ssh.apply(ctx);
    await ssh.verify(ctx); // the run's own, which takes apply's proof: the next one asks sshd
    const banner = (line: string) =>
      ctx.$.on(/^ip netns exec firstboot-probe ssh-keyscan /, {
        stdout: '198.18.255.253 ssh-ed25519 AAAAC3Nza\n',
        stderr: `# 198.18.255.253:22 ${line}\n`,
      });
    banner('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3');
    assert.equal(await ssh.verify(ctx), [
      'sshd announces its patch level to every client: SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3',
    ]);
    banner('SSH-2.0-OpenSSH_9.2p1');
    assert.equal(await ssh.verify(ctx), []);
  },
);

test.run();
