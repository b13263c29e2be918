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

/**
 * `iptables -w -S` on Debian 12 once ufw 0.36.2 has loaded plan(2222)'s rules (and, over IPv4, an admin's
 * from 10.0.0.0/8), trimmed to the policies and ufw's user chains; `ip6tables -w -S` with ufw6 and its mask
 */
function listing(ufw: 'ufw' | 'ufw6', mask: string): string {
  const [input, recent, source] = [`-A ${ufw}-user-input`, '-m conntrack --ctstate NEW -m recent', `--mask ${mask}`];
  return [
    '-P INPUT DROP',
    '-P FORWARD DROP',
    '-P OUTPUT ACCEPT',
    `-N ${ufw}-user-input`,
    `-N ${ufw}-user-limit`,
    `-N ${ufw}-user-limit-accept`,
    `${input} -p tcp -m tcp --dport 2222 ${recent} --set --name DEFAULT ${source} --rsource`,
    `${input} -p tcp -m tcp --dport 2222 ${recent} --update --seconds 30 --hitcount 6 --name DEFAULT ${source} ` +
      `--rsource -j ${ufw}-user-limit`,
    `${input} -p tcp -m tcp --dport 2222 -j ${ufw}-user-limit-accept`,
    `${input} -p udp -m multiport --dports 60000:60010 -j ACCEPT`,
    `${input} -p tcp -m tcp --dport 443 -j ACCEPT`,
    ...(ufw === 'ufw' ? [`${input} -s 10.0.0.0/8 -p tcp -m tcp --dport 8080 -j ACCEPT`] : []),
    `-A ${ufw}-user-limit -j REJECT --reject-with icmp-port-unreachable`,
    `-A ${ufw}-user-limit-accept -j ACCEPT`,
    '',
  ].join('\n');
}
const IPV4 = listing('ufw', '255.255.255.255');
const IPV6 = listing('ufw6', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff');

test('verify reads the rules and policies the kernel filters with', async () => {
  const ctx = machine(plan(2222), { rules: [], active: true });
  ctx.$.on('iptables -w -S', { stdout: IPV4 }).on('ip6tables -w -S', { stdout: IPV6 });
  assert.equal(await firewall.verify(ctx), []);

  const broken = {
    v4: IPV4.replace('-P INPUT DROP', '-P INPUT ACCEPT').replace(
      '--dport 2222 -j ufw-user-limit-accept',
      '--dport 2222 -j ACCEPT',
    ),
    // a rule for one interface opens the port there only
    v6: IPV6.replace(
      'ufw6-user-input -p tcp -m tcp --dport 443',
      'ufw6-user-input -i tailscale0 -p tcp -m tcp --dport 443',
    ),
  };
  ctx.$.on('iptables -w -S', { stdout: broken.v4 })
    .on('ip6tables -w -S', { stdout: broken.v6 })
    .on('systemctl is-enabled --quiet ufw', { exitCode: 1 });
  assert.equal(await firewall.verify(ctx), [
    "the kernel's IPv4 incoming policy is not drop",
    'ufw does not limit 2222/tcp over IPv4',
    'ufw does not allow 443/tcp over IPv6',
    'ufw.service is not enabled at boot',
  ]);

  // ufw's chains not loaded: the kernel's own policies, and none of the rules
  const bare = '-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n';
  ctx.$.on('iptables -w -S', { stdout: bare }).on('ip6tables -w -S', { stdout: bare });
  assert.equal(
    await firewall.verify(ctx),
    ['IPv4', 'IPv6']
      .flatMap((family) => [
        `the kernel's ${family} incoming policy is not drop`,
        `the kernel's ${family} routed policy is not drop`,
        `ufw does not limit 2222/tcp over ${family}`,
        `ufw does not allow 60000:60010/udp over ${family}`,
        `ufw does not allow 443/tcp over ${family}`,
      ])
      .concat('ufw.service is not enabled at boot'),
  );
});

test.run();
