// sshd policy. Values follow the original system (docs/HARDENING.md) where it was sound, and the
// hardening references where it was not (dev-sec's ssh-baseline, CIS Debian 12 / Ubuntu 24.04 section 5,
// ssh-audit). Crypto lists are best-first preferences: the server keeps those its OpenSSH knows
// (`ssh -Q`), so one plan fits OpenSSH 9.2 to 10.
import type { SshPlan } from '../../contract/plan';
import type { Capability } from './capability';
import { MIN_RSA_BITS } from '../config/ssh-key';
import { oneOf, section } from '../config/dsl';
import { portNumber } from '../config/ports';

/** present on every Hetzner image; named so a minimal image gets them too. iproute2: the step proves
 * sshd answers from a network namespace (payload/lib/probe.ts) */
export const sshPackages = ['openssh-server', 'iproute2'];

export function sshPlan({
  port,
  admin,
  forwarding = 'no',
}: {
  port: number;
  admin: string;
  forwarding?: 'no' | 'local';
}): SshPlan {
  return {
    id: 'ssh',
    port,
    settings: [
      ['PermitRootLogin', 'no'],
      ['PasswordAuthentication', 'no'],
      ['KbdInteractiveAuthentication', 'no'],
      ['PubkeyAuthentication', 'yes'],
      ['AuthenticationMethods', 'publickey'],
      ['PermitEmptyPasswords', 'no'],
      ['HostbasedAuthentication', 'no'],
      ['IgnoreRhosts', 'yes'],
      ['KerberosAuthentication', 'no'],
      ['GSSAPIAuthentication', 'no'],
      ['AllowUsers', admin],
      ['MaxAuthTries', '3'], // Lynis <=3, CIS <=4; dev-sec's 2 leaves no room for an agent holding two keys
      ['MaxSessions', '5'], // the original's value; CIS <=10 (Lynis' 2 breaks tmux/mosh-heavy work)
      ['MaxStartups', '10:30:60'], // dev-sec sshd-21, CIS 5.1.18
      ['LoginGraceTime', '30'],
      ['ClientAliveInterval', '300'],
      ['ClientAliveCountMax', '2'], // Lynis <=2; drops a dead session after 10 minutes
      ['TCPKeepAlive', 'no'], // ClientAlive* runs inside the encrypted channel, TCP keepalives do not
      ['X11Forwarding', 'no'],
      // local only when asked (ssh.forwarding): VS Code Remote-SSH and `ssh -L` need it, `-R` never
      ['AllowTcpForwarding', forwarding],
      ['AllowAgentForwarding', 'no'], // the original allowed it: a root on the server could use your agent
      ['PermitTunnel', 'no'],
      ['GatewayPorts', 'no'],
      ['PermitUserEnvironment', 'no'],
      ['StrictModes', 'yes'],
      ['UseDNS', 'no'],
      ['Compression', 'no'],
      ['LogLevel', 'VERBOSE'], // logs key fingerprints, which fail2ban and audits need
      ['PrintLastLog', 'yes'],
      ['RequiredRSASize', String(MIN_RSA_BITS)], // OpenSSH >= 9.1; refuses short RSA user keys, as the config does
      ['DebianBanner', 'no'], // Debian's and Ubuntu's sshd would announce the package's patch level
      ['Banner', '/etc/issue.net'], // the baseline step's warning, without OS details (CIS 5.1.x)
    ],
    crypto: {
      // post-quantum hybrids first (OpenSSH 10 / 9.x), then the ssh-audit hardening guide's order
      kexalgorithms: [
        'mlkem768x25519-sha256',
        'sntrup761x25519-sha512',
        'sntrup761x25519-sha512@openssh.com',
        'curve25519-sha256',
        'curve25519-sha256@libssh.org',
        'diffie-hellman-group18-sha512',
        'diffie-hellman-group16-sha512',
        'diffie-hellman-group-exchange-sha256',
      ],
      ciphers: [
        'chacha20-poly1305@openssh.com',
        'aes256-gcm@openssh.com',
        'aes128-gcm@openssh.com',
        'aes256-ctr',
        'aes192-ctr',
        'aes128-ctr',
      ],
      // encrypt-then-MAC only: ssh-audit warns on every non-ETM MAC
      macs: ['hmac-sha2-512-etm@openssh.com', 'hmac-sha2-256-etm@openssh.com', 'umac-128-etm@openssh.com'],
      // no ECDSA (NIST curves): ssh-audit fails them
      hostkeyalgorithms: [
        'ssh-ed25519',
        'ssh-ed25519-cert-v01@openssh.com',
        'sk-ssh-ed25519@openssh.com',
        'sk-ssh-ed25519-cert-v01@openssh.com',
        'rsa-sha2-512',
        'rsa-sha2-512-cert-v01@openssh.com',
        'rsa-sha2-256',
        'rsa-sha2-256-cert-v01@openssh.com',
      ],
    },
    hostKeys: ['ed25519', 'rsa'],
    minRsaBits: 3072, // cloud-init makes 3072-bit keys; smaller ones are regenerated at 4096
    minModulusBits: 3072, // ssh-audit guides: drop Diffie-Hellman group-exchange moduli below 3072
  };
}

export const sshSection = section(
  {
    port: portNumber({
      doc:
        'The port sshd listens on. The firewall opens it with a rate limit. Another port than 22 cuts log ' +
        'noise from scanners; it is not a security boundary.',
      default: 22,
    }),
    forwarding: oneOf(['no', 'local'] as const, {
      doc:
        'TCP forwarding through SSH. "local" allows `ssh -L` and what is built on it (VS Code Remote-SSH, ' +
        "port forwards to a dev server), from the client to the server's side only; remote forwards " +
        '(`ssh -R`), which open ports on the server, stay off either way.',
      default: 'no',
    }),
  },
  {
    doc:
      'The SSH server. Its hardening (keys only, no root, modern crypto) is not configurable, apart from ' +
      'forwarding.',
  },
);

export const ssh: Capability<'ssh'> = {
  id: 'ssh',
  plan: ({ config }) => sshPlan({ port: config.ssh.port, admin: config.admin.name, forwarding: config.ssh.forwarding }),
  packages: () => sshPackages,
};
