// The GeoIP step on a recording shell and an in-memory file system holding a small slice of the data:
// the sets it builds, the guard, the sanity check, and what it leaves alone when either refuses.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { GeoipPlan } from '../../contract/plan';
import { geoip, RULES } from '../../payload/steps/geoip';
import { covered, networkOf, parseAddress, parseRange } from '../../payload/lib/ip';
import { stepContext } from './context';
import { npmInstall } from '../../payload/lib/npm';
import { rejects } from '../rejects';

const DATA = { name: '@ip-location-db/geo-whois-asn-country', version: '2.3.1', integrity: `sha512-${'A'.repeat(86)}==` };
const DIR = `/usr/local/lib/firstboot/node_modules/${DATA.name}`;
const params: GeoipPlan = { id: 'geoip', countries: ['DE', 'AT'], tcp: ['2222'], udp: ['60000-60010'], allow: ['198.51.100.7', '100.64.0.0/10', 'fd7a:115c:a1e0::/48'], data: DATA };

/** a server in Germany with one SSH session, from 5.9.0.2 (DE) unless told */
function server(session = '5.9.0.2', loaded = 0) {
  const ctx = stepContext(params);
  ctx.fs
    .seed(`${DIR}/.firstboot-integrity`, DATA.integrity)
    .seed(`${DIR}/geo-whois-asn-country-ipv4.csv`, '1.0.0.0,1.0.0.255,AU\n5.9.0.0,5.10.15.255,DE\n8.8.8.0,8.8.8.255,US\n80.120.0.0,80.123.255.255,AT\n')
    .seed(`${DIR}/geo-whois-asn-country-ipv6.csv`, '2a01:4f8::,2a01:4f8:ffff:ffff:ffff:ffff:ffff:ffff,DE\n2001:4860::,2001:4860:ffff:ffff:ffff:ffff:ffff:ffff,US\n');
  const state = { loaded, loads: 0, fetched: [] as string[] };
  npmInstall.packages = async (packages) => void state.fetched.push(...packages.map((pkg) => `${pkg.name}@${pkg.version}`));
  ctx.$
    .on('ip -j address show', { stdout: JSON.stringify([{ ifname: 'lo', addr_info: [{ local: '127.0.0.1', prefixlen: 8 }] }, { ifname: 'eth0', addr_info: [{ local: '203.0.113.15', prefixlen: 24 }] }, { ifname: 'enp7s0', addr_info: [{ local: '10.0.1.5', prefixlen: 24 }, { local: 'fd00:1::5', prefixlen: 64 }] }]) })
    .on('ss -Htn state established', { stdout: `0 0 203.0.113.15:2222 ${session}:50123\n0 0 203.0.113.15:443 8.8.8.8:41000\n` })
    .on(/^nft -j list table inet firstboot_geoip$/, () => (state.loaded ? { stdout: JSON.stringify({ nftables: [{ set: { elem: Array(state.loaded).fill('x') } }] }) } : { exitCode: 1 }))
    .on(`nft -f ${RULES}`, () => ((state.loads++, state.loaded = 12), {}))
    .on(/^systemctl (daemon-reload|enable|start)/, {})
    .on(/^systemctl is-(enabled|active) --quiet/, () => ({ exitCode: state.loads ? 0 : 1 }));
  return { ctx, state };
}

test('ip: v4, v6, v4 clients on a v6 socket, ranges and networks', () => {
  const ranges = ['5.9.0.0-5.10.15.255', '2a01:4f8::/32', '100.64.0.0/10'].map((r) => parseRange(r)!);
  for (const a of ['5.9.0.2', '5.10.15.255', '[::ffff:5.9.0.2]', '2a01:4f8:c0c:1::1', '100.127.255.255']) assert.ok(covered(ranges, parseAddress(a)!), a);
  for (const a of ['5.10.16.0', '100.128.0.0', '2a01:4f9::1', '::ffff:8.8.8.8']) assert.not.ok(covered(ranges, parseAddress(a)!), a);
  assert.is(networkOf(parseAddress('10.0.1.5')!, 24), '10.0.1.0/24');
  assert.is(networkOf(parseAddress('fd00:1::5')!, 64), 'fd00:1:0:0:0:0:0:0/64');
  assert.is(parseAddress('bogus'), undefined);
});

test('the table: the countries\' ranges, what is always allowed and the private networks; only the guarded ports drop', async () => {
  const { ctx, state } = server();
  assert.ok((await geoip.check(ctx)).some((d) => d.includes('table is not loaded')));
  await geoip.apply(ctx);
  const nft = (await ctx.fs.read(RULES))!;
  assert.match(nft, /^# Written by firstboot: GeoIP blocking \(DE AT\), from @ip-location-db\/geo-whois-asn-country 2\.3\.1, plan [0-9a-f]{12}\./);
  assert.match(nft, '\nadd table inet firstboot_geoip\ndelete table inet firstboot_geoip\ntable inet firstboot_geoip {\n');
  const v4 = /set allow4 \{[^}]*elements = \{ ([^}]*) \}/.exec(nft)![1].split(/,\s*/);
  // the ssh step's probe client (198.18.255.254) among them: it checks sshd from outside on every run
  assert.equal(v4, ['5.9.0.0-5.10.15.255', '80.120.0.0-80.123.255.255', '198.51.100.7', '100.64.0.0/10', '198.18.255.254', '10.0.1.0/24']);
  const v6 = /set allow6 \{[^}]*elements = \{ ([^}]*) \}/.exec(nft)![1].split(/,\s*/);
  assert.equal(v6, ['2a01:4f8::-2a01:4f8:ffff:ffff:ffff:ffff:ffff:ffff', 'fd7a:115c:a1e0::/48', 'fd00:1:0:0:0:0:0:0/64']);
  assert.match(nft, '    iif "lo" accept\n    ip saddr @allow4 accept\n    ip6 saddr @allow6 accept\n    tcp dport { 2222 } drop\n    udp dport { 60000-60010 } drop\n');
  assert.is(state.loads, 1);
  assert.equal(state.fetched, [`${DATA.name}@2.3.1`]);
  assert.ok(ctx.$.commands.includes('systemctl enable --now firstboot-geoip-refresh.timer'));
  assert.equal(await geoip.check(ctx), []);
  assert.equal(await geoip.verify(ctx), []);
});

test('the guard: an SSH session from a country not allowed stops the step before the rules change', async () => {
  const { ctx, state } = server('8.8.8.8');
  await rejects(() => geoip.apply(ctx), /would cut off 8\.8\.8\.8 \(an open SSH session\).*add it to geoip.always_allow, or its country to geoip.countries; access stays as it was/);
  assert.is(state.loads, 0);
  assert.is(await ctx.fs.read(RULES), undefined);
});

test('the guard: the address apply connected from counts too; sessions on other ports do not', async () => {
  const { ctx, state } = server();
  ctx.fs.seed('/var/lib/firstboot/client-address', '2001:4860::8888\n');
  await rejects(() => geoip.apply(ctx), /would cut off 2001:4860::8888 \(the address firstboot apply connected from\)/);
  assert.is(state.loads, 0);
  // the 443 session from 8.8.8.8 in the fixture did not count: 443 is not guarded
  const fine = server();
  fine.ctx.fs.seed('/var/lib/firstboot/client-address', '198.51.100.7\n');
  await geoip.apply(fine.ctx);
  assert.is(fine.state.loads, 1);
});

test('data that holds far fewer ranges than are loaded keeps the loaded table', async () => {
  const { ctx, state } = server('5.9.0.2', 1000);
  await rejects(() => geoip.apply(ctx), /the new data holds 9 ranges where 1000 are loaded: that looks wrong, the loaded ones stay/);
  assert.is(state.loads, 0);
});

test('a country the data does not know allows nothing: refused, nothing changes', async () => {
  const { ctx, state } = server();
  ctx.params = { ...params, countries: ['XX'], allow: [] };
  await rejects(() => geoip.apply(ctx), /the data has no ranges for XX: nothing changed/);
  assert.is(state.loads, 0);
});

test('a plan with other ports or countries is drift, though the table is loaded', async () => {
  const { ctx } = server();
  await geoip.apply(ctx);
  ctx.params = { ...params, tcp: ['22'] };
  assert.ok((await geoip.check(ctx)).some((d) => d.startsWith(`${RULES} is not this plan's`)));
});

test.run();
