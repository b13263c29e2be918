// What the ssh step finds on a stock Debian 12 server before anything about ufw or sshd's answers:
// OpenSSH 9.2's algorithm lists, its host keys and moduli, ssh-keygen, how sshd is started, and the
// namespace plumbing of the reachability probe. The tests add sshd's and ufw's answers themselves.
import type { SshPlan } from '../../contract/plan';
import { stepContext, type TestCtx } from './context';
import { probeNamespace } from './probe';

// `ssh -Q` on Debian 12's OpenSSH 9.2 (abridged): no ML-KEM, only the @openssh.com sntrup name
const DEBIAN12 = {
  kex:
    'diffie-hellman-group14-sha256\ndiffie-hellman-group16-sha512\ndiffie-hellman-group18-sha512\n' +
    'diffie-hellman-group-exchange-sha256\necdh-sha2-nistp256\ncurve25519-sha256\n' +
    'curve25519-sha256@libssh.org\nsntrup761x25519-sha512@openssh.com\n',
  cipher:
    'aes128-ctr\naes192-ctr\naes256-ctr\naes128-gcm@openssh.com\naes256-gcm@openssh.com\n' +
    'chacha20-poly1305@openssh.com\n',
  mac:
    'hmac-sha1\nhmac-sha2-256\nhmac-sha2-512\nhmac-sha2-256-etm@openssh.com\nhmac-sha2-512-etm@openssh.com\n' +
    'umac-128-etm@openssh.com\n',
  'key-sig':
    'ssh-ed25519\nsk-ssh-ed25519@openssh.com\nssh-rsa\nrsa-sha2-256\nrsa-sha2-512\necdsa-sha2-nistp256\n' +
    'ssh-ed25519-cert-v01@openssh.com\nrsa-sha2-512-cert-v01@openssh.com\n',
};

export const ADMIN_ED25519 =
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINQur/rZ9TBsuK9LDYPMLWxYD15U4YeWKAC2I/kuCgSc fx@laptop';

export interface SshHost {
  /** sshd started by ssh.socket, as on Ubuntu 24.04 */
  socket?: boolean;
  /** the size ssh-keygen reports for the RSA host key */
  rsaBits?: number;
  /** the admin's authorized keys (default: one ed25519 key); an RSA line's comment "rsa-N" gives its size */
  adminKeys?: string[];
}

export function sshHost(params: SshPlan, opts: SshHost = {}): TestCtx<SshPlan> {
  const admin = { id: 'admin' as const, name: 'fx', shell: '/bin/bash', keys: opts.adminKeys ?? [ADMIN_ED25519] };
  const ctx = stepContext(params, { steps: [admin, params] });
  for (const [query, out] of Object.entries(DEBIAN12)) ctx.$.on(`ssh -Q ${query}`, { stdout: out });
  ctx.$.on('systemctl is-enabled --quiet ssh.socket', { exitCode: opts.socket ? 0 : 1 })
    .on('systemctl is-active --quiet ssh', { exitCode: opts.socket ? 3 : 0 })
    .on(/^ssh-keygen -lf .*rsa/, { stdout: `${opts.rsaBits ?? 3072} SHA256:abc root@dev1 (RSA)\n` })
    .on('ssh-keygen -l -f /dev/stdin', (_, { input }) => ({
      stdout: `${input?.match(/rsa-(\d+)/)?.[1] ?? 256} SHA256:abc key (RSA)\n`,
    }));
  probeNamespace(ctx.$);
  for (const type of ['rsa', 'ecdsa', 'ed25519']) {
    ctx.fs.seed(`/etc/ssh/ssh_host_${type}_key`, 'PRIVATE', 0o600).seed(`/etc/ssh/ssh_host_${type}_key.pub`, 'PUBLIC');
  }
  ctx.fs.seed(
    '/etc/ssh/moduli',
    '# Time Type Tests Tries Size Generator Modulus\n20230101 2 6 100 2047 2 FFFF\n20230101 2 6 100 3071 2 EEEE\n' +
      '20230101 2 6 100 4095 5 DDDD\n',
  );
  return ctx;
}
