// What the 5-apply scenario is made of: its configs, GeoIP data and mail server, and parts of it run in order on
// its one VM: the secrets found nowhere but their files (every command line sampled through the run included),
// GeoIP's guard for the owner's address, and a Tailscale repository its key did not sign.
import * as assert from 'uvu/assert';
import { asAdmin, sudo, type Expect } from './access';
import { REPO_ADDRESS } from './image';
import type { Vm } from './vm';
import { resolve } from 'node:path';

export const CLI = resolve(new URL('../../dist/firstboot.js', import.meta.url).pathname);

export const HOST = '192.0.2.20';

export const SMTP = { address: '169.254.169.252', port: 587, host: 'smtp.test', user: 'firstboot@example.org' };

export const CONFIG = `ssh:
  port: 2222
admin:
  password: secret:console
report:
  enabled: true
  to: ops@example.org
  smtp: { host: ${SMTP.host}, user: ${SMTP.user}, password: secret:smtp }
`;

export const GEO_DATA = {
  'firstboot-test-geoip-ipv4.csv':
    '5.9.0.0,5.10.15.255,DE\n8.8.8.0,8.8.8.255,US\n80.120.0.0,80.123.255.255,AT\n169.254.0.0,169.254.255.255,DE\n',
  'firstboot-test-geoip-ipv6.csv': '2001:4860::,2001:4860:ffff:ffff:ffff:ffff:ffff:ffff,US\n',
};

export const geoip = (integrity: string) =>
  `geoip:\n  enabled: true\n  countries: [DE]\n` +
  `  data: { package: firstboot-test-geoip@1.0.0, integrity: "${integrity}" }\n`;

export const tailscale = (fingerprint: string) =>
  `tailscale:\n  enabled: true\n  auth_key: secret:tailscale\n  hostname: apply\n` +
  `  tags: [tag:server]\n  ssh_via_tailnet_only: true\n` +
  `  repository: { url: "http://${REPO_ADDRESS}/tailscale", key: ${fingerprint} }\n`;

/** as root on the guest: a network namespace at PEER behind a veth at HOST, and what it gets from HOST:2222 */
export const fromNamespace = (name: string, host: string, peer: string) => `sudo -n bash -c 'ip netns add ${name}
ip link add v${name} type veth peer name eth0 netns ${name}
ip addr add ${host}/24 dev v${name}; ip link set v${name} up
ip netns exec ${name} ip addr add ${peer}/24 dev eth0; ip netns exec ${name} ip link set eth0 up
ip netns exec ${name} timeout 10 bash -c "exec 3<>/dev/tcp/${host}/2222 && head -c 7 <&3"; echo " exit $?"'`;

/** where every connection from the host reaches the guest from: slirp's host address in its 169.254.0.0/16 */
export const QEMU_HOST = '169.254.2.2';

/** The secrets are in their files and nowhere else: files, the journal, every command line sampled. */
export async function checkSecretsStayed(vm: Vm, e: Expect): Promise<void> {
  await sudo(vm, e, 'systemctl stop cmdline-sampler');
  const places =
    '/root/cmdlines /var/log/firstboot.log /var/lib/firstboot/status.json /var/lib/firstboot/plan.json ' +
    '/var/lib/firstboot/report.json /usr/local/lib/firstboot /etc /var/log/sudo.log';
  // the patterns come from the secrets' own files: on a command line, the check would leak them itself
  const patterns = '-f /var/lib/firstboot/secrets/console -f /var/lib/firstboot/secrets/smtp';
  const found = await sudo(
    vm,
    e,
    `sh -c 'grep -rlF ${patterns} ${places}; journalctl -o cat | grep -cF ${patterns}; true'`,
  );
  assert.is(found.trim(), '0', `a secret is outside its file: ${found}`);
  assert.ok(
    Number((await sudo(vm, e, `sh -c 'wc -l < /root/cmdlines'`)).trim()) > 100,
    'the sampler saw too little of the run',
  );
}

/**
 * GeoIP's guard, from the German namespace the test made: a plan for Austria loads past a scanner's open
 * connections, is refused once the owner is elsewhere, and Germany's plan goes back.
 */
export async function checkGeoipGuard(vm: Vm, e: Expect): Promise<void> {
  // GeoIP's guard. apply noted where it came from: the owner's address, let through whatever the plan's
  // countries. A plan for Austria loads although a scanner in the German namespace (outside Austria)
  // keeps opening connections to sshd and holding them, never logging in, while the table loads.
  assert.is((await sudo(vm, e, 'cat /var/lib/firstboot/client-address')).trim(), QEMU_HOST);
  const austria =
    `sed 's/"countries":\\["DE"\\]/"countries":["AT"]/' /var/lib/firstboot/plan.json > /root/plan-at.json ` +
    `&& grep -q '"AT"' /root/plan-at.json`;
  await sudo(vm, e, `sh -c '${austria.replace(/'/g, `'\\''`)}'`);
  const scanner = `set -u
(setsid timeout 30 ip netns exec de bash -c 'while :; do timeout 12 bash -c "exec 3<>/dev/tcp/5.9.200.1/2222 && sleep \
10" & sleep 3; done' >/dev/null 2>&1 </dev/null &)
sleep 4
echo "before: $(ss -Htn state established '( sport = :2222 )' | grep -c ' 5[.]9[.]200[.]2:')"
firstboot run --only geoip --plan /root/plan-at.json 2>&1; echo " exit $?"
echo "after: $(ss -Htn state established '( sport = :2222 )' | grep -c ' 5[.]9[.]200[.]2:')"
`;
  const scanned = await sudo(
    vm,
    e,
    `sh -c 'echo ${Buffer.from(scanner).toString('base64')} | base64 -d > /root/scanner.sh && bash ` +
      `/root/scanner.sh'`,
  );
  // held open from before the run until after it: the guard saw them, and let the table load
  assert.match(scanned, /^before: [1-9]\d*$/m, scanned);
  assert.match(scanned, /^after: [1-9]\d*$/m, scanned);
  assert.match(scanned, /geoip +changed [^]* exit 0\n/, scanned);
  assert.not.match(scanned, /would cut off/);
  let allow4 = await sudo(vm, e, 'nft list set inet firstboot_geoip allow4');
  // nft prints a range that is a whole prefix as that prefix
  assert.match(allow4, /80\.120\.0\.0\/14/, allow4);
  assert.match(allow4, new RegExp(`\\b${QEMU_HOST.replaceAll('.', '\\.')}\\b`));
  assert.not.match(allow4, /5\.9\.0\.0/);
  // the owner is somewhere else now, and this session (authenticated, from outside Austria) would be cut
  // off: the step refuses, and the table and the login stay
  await sudo(vm, e, `sh -c 'echo 5.9.0.9 > /var/lib/firstboot/client-address'`);
  const guarded = await asAdmin(
    vm,
    e,
    'sudo -n firstboot run --only geoip --plan /root/plan-at.json 2>&1; echo " exit $?"',
  );
  assert.match(
    guarded,
    new RegExp(
      `geoip +failed .*would cut off ${QEMU_HOST.replaceAll('.', '\\.')} \\(an SSH session of admin\\)[^]* ` +
        `exit 1\\n$`,
    ),
  );
  assert.is(await sudo(vm, e, 'nft list set inet firstboot_geoip allow4'), allow4);
  // back to the owner and the plan: Germany again, once the scanner is done (each try ends within 12 s,
  // so none connects when Germany is let in again, to hold one of sshd's unauthenticated slots)
  await sudo(
    vm,
    e,
    `sh -c 'while [ -n "$(ip netns pids de)" ]; do sleep 1; done; echo ${QEMU_HOST} > ` +
      `/var/lib/firstboot/client-address && firstboot run --only geoip'`,
  );
  allow4 = await sudo(vm, e, 'nft list set inet firstboot_geoip allow4');
  assert.match(allow4, /169\.254\.0\.0\/16/);
  assert.not.match(allow4, /80\.120\.0\.0/);
  await asAdmin(vm, e, 'true');
}

/** A repository its key did not sign: apt refuses it, and the sources list stays as it was. */
export async function checkWrongRepository(vm: Vm, viaTailnet: Expect): Promise<void> {
  const wrong =
    `sed 's#/tailscale"#/tailscale-wrong"#' /var/lib/firstboot/plan.json > ` +
    `/root/plan-wrong.json && grep -q tailscale-wrong /root/plan-wrong.json ` +
    `&& firstboot run --only tailscale --plan /root/plan-wrong.json`;
  const refusedRepo = await asAdmin(
    vm,
    viaTailnet,
    `sudo -n sh -c '${wrong.replace(/'/g, `'\\''`)}' 2>&1; echo " exit $?"`,
  );
  assert.match(refusedRepo, /tailscale +failed .*(NO_PUBKEY|not signed)[^]* exit 1\n$/);
  assert.match(
    await sudo(vm, viaTailnet, 'cat /etc/apt/sources.list.d/tailscale.list'),
    new RegExp(`${REPO_ADDRESS.replaceAll('.', '\\.')}/tailscale/debian bookworm main`),
  );
}
