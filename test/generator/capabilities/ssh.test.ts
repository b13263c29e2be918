// The sshd policy, stated here and not read back from a golden file: a weakened default fails with
// the setting's name. The references are those of generator/capabilities/ssh.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sshPlan } from '../../../generator/capabilities/ssh';

const plan = sshPlan({ port: 2222, admin: 'ops' });
const settings = new Map(plan.settings);

test('each keyword is set once (sshd keeps the first value it reads)', () => {
  assert.is(settings.size, plan.settings.length);
});

test('authentication: keys only, no root, only the admin, few tries', () => {
  for (const [keyword, value] of [
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
    ['AllowUsers', 'ops'],
    ['MaxAuthTries', '3'],
    ['LoginGraceTime', '30'],
    ['RequiredRSASize', '3072'],
    ['StrictModes', 'yes'],
    ['PermitUserEnvironment', 'no'],
  ])
    assert.is(settings.get(keyword), value, `sshd ${keyword}`);
});

test('sessions: no forwarding or tunnels, dead sessions dropped, verbose logs', () => {
  for (const [keyword, value] of [
    ['X11Forwarding', 'no'],
    ['AllowTcpForwarding', 'no'],
    ['AllowAgentForwarding', 'no'],
    ['PermitTunnel', 'no'],
    ['GatewayPorts', 'no'],
    ['MaxSessions', '5'],
    ['MaxStartups', '10:30:60'],
    ['ClientAliveInterval', '300'],
    ['ClientAliveCountMax', '2'],
    ['LogLevel', 'VERBOSE'],
  ])
    assert.is(settings.get(keyword), value, `sshd ${keyword}`);
});

test('crypto: no NIST curves, no SHA-1, no CBC, encrypt-then-MAC only, strong host keys', () => {
  const all = Object.values(plan.crypto).flat();
  for (const weak of [/nistp/, /sha1/, /-cbc/, /^ssh-rsa$/, /^diffie-hellman-group(1|14)-/, /^ssh-dss/]) {
    assert.equal(
      all.filter((name) => weak.test(name)),
      [],
      `weak algorithm ${weak}`,
    );
  }
  assert.ok(
    plan.crypto.macs.every((mac) => mac.endsWith('-etm@openssh.com')),
    'every MAC is encrypt-then-MAC',
  );
  assert.equal(plan.hostKeys, ['ed25519', 'rsa']);
  assert.ok(plan.minRsaBits >= 3072, 'RSA host keys of 3072 bits at least');
  assert.ok(plan.minModulusBits >= 3072, 'moduli of 3072 bits at least');
  assert.is(plan.crypto.kexalgorithms[0], 'mlkem768x25519-sha256', 'post-quantum key exchange first');
});

test.run();
