import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { firewall } from '../../payload/steps/firewall';
import { rejects } from '../rejects';
import { changes, machine, plan, planRules, type UfwState } from './firewall-machine';
import { seedUfwConf, UFW_START } from '../fakes/ufw-files';

test('a stock machine: rules go in, SSH first, and only then is ufw enabled', async () => {
  const state: UfwState = { rules: [], active: false, sshdPort: 22 };
  const ctx = machine(plan(22), state);
  assert.equal(await firewall.check(ctx), [
    'ufw has no rule limit 22/tcp (firstboot ssh)',
    'ufw has no rule allow 60000:60010/udp (firstboot mosh)',
    'ufw has no rule allow 443/tcp (firstboot allow)',
    'ufw is inactive',
  ]);
  await firewall.apply(ctx);
  assert.equal(changes(ctx), [
    "ufw limit 22/tcp comment 'firstboot ssh'",
    "ufw allow 60000:60010/udp comment 'firstboot mosh'",
    "ufw allow 443/tcp comment 'firstboot allow'",
    UFW_START,
  ]);
  assert.equal(ctx.fs.writes, ['/etc/ufw/ufw.conf'], 'the stock defaults file already says what we want');
  assert.is(await ctx.fs.read('/etc/ufw/ufw.conf'), '# /etc/ufw/ufw.conf\nENABLED=yes\nLOGLEVEL=low\n');
  assert.equal(await firewall.check(ctx), []);
});

test('when ufw-init cannot start ufw, ufw stays off at boot too and the run fails saying why', async () => {
  const state: UfwState = { rules: [], active: false, sshdPort: 22 };
  const ctx = machine(plan(22), state);
  ctx.$.on(UFW_START, { exitCode: 1, stdout: 'ERROR: problem running ufw-init\niptables-restore: line 4 failed\n' });
  await rejects(() => firewall.apply(ctx), /ufw-init start failed \(ufw left off\): ERROR: problem running ufw-init/);
  assert.is(state.active, false);
  assert.match((await ctx.fs.read('/etc/ufw/ufw.conf'))!, /^ENABLED=no$/m);
  assert.ok((await firewall.check(ctx)).includes('ufw is inactive'));
});

test('ufw filtering now but set off for the next boot is set on, its rules untouched', async () => {
  const state: UfwState = {
    rules: planRules(),
    active: true,
    sshdPort: 22,
  };
  const ctx = machine(plan(22), state);
  seedUfwConf(ctx.fs, false);
  assert.equal(await firewall.check(ctx), [
    '/etc/ufw/ufw.conf does not have ENABLED=yes: ufw would not filter after a reboot',
  ]);
  await firewall.apply(ctx);
  assert.equal(changes(ctx), [UFW_START]);
  assert.equal(await firewall.check(ctx), []);
});

/** `ufw status verbose` on Debian 12 with forwarding off (the sysctl step), as ufw 0.36.2 prints it */
const ACTIVE = `Status: active
Logging: on (low)
Default: deny (incoming), allow (outgoing), disabled (routed)
New profiles: skip

To                         Action      From
--                         ------      ----
2222/tcp                   LIMIT IN    Anywhere                   # firstboot ssh
60000:60010/udp            ALLOW IN    Anywhere                   # firstboot mosh
443/tcp                    ALLOW IN    Anywhere                   # firstboot allow
8080/tcp                   ALLOW IN    10.0.0.0/8
2222/tcp (v6)              LIMIT IN    Anywhere (v6)              # firstboot ssh
60000:60010/udp (v6)       ALLOW IN    Anywhere (v6)              # firstboot mosh
443/tcp (v6)               ALLOW IN    Anywhere (v6)              # firstboot allow
`;

test('verify reads the live rules and defaults from ufw status verbose', async () => {
  const ctx = machine(plan(2222), { rules: [], active: true });
  ctx.$.on('ufw status verbose', { stdout: ACTIVE });
  assert.equal(await firewall.verify(ctx), []);

  const broken = ACTIVE.replace('deny (incoming)', 'allow (incoming)')
    .replace('443/tcp (v6)               ALLOW IN    Anywhere (v6)              # firstboot allow\n', '')
    .replace('2222/tcp                   LIMIT IN', '2222/tcp                   ALLOW IN');
  ctx.$.on('ufw status verbose', { stdout: broken }).on('systemctl is-enabled --quiet ufw', { exitCode: 1 });
  assert.equal(await firewall.verify(ctx), [
    'ufw defaults are "allow (incoming), allow (outgoing), disabled (routed)", want deny (incoming), allow ' +
      '(outgoing), deny (routed)',
    'ufw does not limit 2222/tcp over IPv4',
    'ufw does not allow 443/tcp over IPv6',
    'ufw.service is not enabled at boot',
  ]);

  ctx.$.on('ufw status verbose', { stdout: 'Status: inactive\n' });
  assert.equal(await firewall.verify(ctx), ['ufw is not active']);
});

test.run();
