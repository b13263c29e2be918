// The GeoIP step on a recording shell and an in-memory file system holding a small slice of the data:
// the sets it builds, the guard, the sanity check, and what it leaves alone when either refuses.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { GeoipPlan, StepId } from '../../contract/plan';
import type { Step } from '../../payload/step';
import { geoip, RULES } from '../../payload/steps/geoip';
import { LOAD, REFRESH } from '../../payload/lib/geoip-inputs';
import { covered, networkOf, parseAddress, parseRange } from '../../payload/lib/ip';
import { stepContext } from './context';
import { run } from '../../payload/runner';
import { npmInstall } from '../../payload/lib/npm';
import { rejects } from '../rejects';

const DATA = {
  name: '@ip-location-db/geo-whois-asn-country',
  version: '2.3.1',
  integrity: `sha512-${'A'.repeat(86)}==`,
};
const DIR = `/usr/local/lib/firstboot/node_modules/${DATA.name}`;
const params: GeoipPlan = {
  id: 'geoip',
  countries: ['DE', 'AT'],
  tcp: ['2222'],
  udp: ['60000-60010'],
  allow: ['198.51.100.7', '100.64.0.0/10', 'fd7a:115c:a1e0::/48'],
  data: DATA,
};

const OWNER = '/var/lib/firstboot/client-address';
/** sshd's processes for one connection: before the login ("[priv]", "[preauth]") and after ("USER@TTY") */
const PRE_AUTH = 'sshd: root [priv]';
const AUTHENTICATED = 'sshd: admin@pts/0';

/**
 * A server in Germany whose owner (apply's address) is 5.9.0.9 unless told (null: none recorded), with
 * one authenticated SSH session of the admin, from 5.9.0.2 (DE) unless told; the process titles of
 * the session's sshd processes may be told too.
 */
function server(
  session = '5.9.0.2',
  loaded = 0,
  { owner = '5.9.0.9' as string | null, titles = ['sshd: admin [priv]', AUTHENTICATED] } = {},
) {
  const ctx = stepContext(params, { steps: [{ id: 'admin', name: 'admin', shell: '/bin/bash', keys: [] }, params] });
  if (owner) ctx.fs.seed(OWNER, `${owner}\n`, 0o600);
  titles.forEach((title, i) => ctx.fs.seed(`/proc/${700 + i}/cmdline`, `${title}\0\0\0`));
  const holders = titles.map((_, i) => `("sshd",pid=${700 + i},fd=4)`).join(',');
  ctx.fs
    .seed(`${DIR}/.firstboot-integrity`, DATA.integrity)
    .seed(
      `${DIR}/geo-whois-asn-country-ipv4.csv`,
      '1.0.0.0,1.0.0.255,AU\n5.9.0.0,5.10.15.255,DE\n8.8.8.0,8.8.8.255,US\n80.120.0.0,80.123.255.255,AT\n',
    )
    .seed(
      `${DIR}/geo-whois-asn-country-ipv6.csv`,
      '2a01:4f8::,2a01:4f8:ffff:ffff:ffff:ffff:ffff:ffff,DE\n2001:4860::,2001:4860:ffff:ffff:ffff:ffff:ffff:ffff,US\n',
    );
  // the units, once enabled, are enabled and running: a machine with the table loaded has them so
  const state = { loaded, loads: 0, fetched: [] as string[], up: new Set(loaded ? [LOAD, REFRESH] : []) };
  npmInstall.packages = async (packages) =>
    void state.fetched.push(...packages.map((pkg) => `${pkg.name}@${pkg.version}`));
  ctx.$.on('ip -j address show', {
    stdout: JSON.stringify([
      { ifname: 'lo', addr_info: [{ local: '127.0.0.1', prefixlen: 8 }] },
      { ifname: 'eth0', addr_info: [{ local: '203.0.113.15', prefixlen: 24 }] },
      {
        ifname: 'enp7s0',
        addr_info: [
          { local: '10.0.1.5', prefixlen: 24 },
          { local: 'fd00:1::5', prefixlen: 64 },
        ],
      },
    ]),
  })
    .on('ss -Htnp state established', {
      stdout:
        `0 0 203.0.113.15:2222 ${session}:50123 users:(${holders})\n` +
        `0 0 203.0.113.15:443 8.8.8.8:41000 users:(("nginx",pid=90,fd=7))\n`,
    })
    .on('ss -Hunap', { stdout: '' })
    .on(/^nft -j list table inet firstboot_geoip$/, () =>
      state.loaded
        ? { stdout: JSON.stringify({ nftables: [{ set: { elem: Array(state.loaded).fill('x') } }] }) }
        : { exitCode: 1 },
    )
    .on(`nft -f ${RULES}`, () => (state.loads++, (state.loaded = 12), {}))
    .on(/^systemctl (daemon-reload|start)/, {})
    .on(
      /^systemctl enable --now /,
      (cmd) => (
        cmd
          .split(' ')
          .slice(3)
          .forEach((u) => state.up.add(u)),
        {}
      ),
    )
    .on(/^systemctl is-(enabled|active) --quiet /, (cmd) => ({ exitCode: state.up.has(cmd.split(' ')[3]) ? 0 : 1 }));
  return { ctx, state };
}

test('ip: v4, v6, v4 clients on a v6 socket, ranges and networks', () => {
  const ranges = ['5.9.0.0-5.10.15.255', '2a01:4f8::/32', '100.64.0.0/10'].map((r) => parseRange(r)!);
  for (const a of ['5.9.0.2', '5.10.15.255', '[::ffff:5.9.0.2]', '2a01:4f8:c0c:1::1', '100.127.255.255'])
    assert.ok(covered(ranges, parseAddress(a)!), a);
  for (const a of ['5.10.16.0', '100.128.0.0', '2a01:4f9::1', '::ffff:8.8.8.8'])
    assert.not.ok(covered(ranges, parseAddress(a)!), a);
  assert.is(networkOf(parseAddress('10.0.1.5')!, 24), '10.0.1.0/24');
  assert.is(networkOf(parseAddress('fd00:1::5')!, 64), 'fd00:1:0:0:0:0:0:0/64');
  assert.is(parseAddress('bogus'), undefined);
});

test(
  "the table: the countries' ranges, " + 'what is always allowed and the private networks; only the guarded ports drop',
  async () => {
    const { ctx, state } = server();
    assert.ok((await geoip.check(ctx)).some((d) => d.includes('table is not loaded')));
    await geoip.apply(ctx);
    const nft = (await ctx.fs.read(RULES))!;
    assert.match(
      nft,
      /^# Written by firstboot: GeoIP blocking \(DE AT\), from @ip-location-db\/geo-whois-asn-country 2\.3\.1, plan [0-9a-f]{12}, owner 5\.9\.0\.9\./,
    );
    assert.match(
      nft,
      '\nadd table inet firstboot_geoip\ndelete table inet firstboot_geoip\ntable inet firstboot_geoip {\n',
    );
    const v4 = /set allow4 \{[^}]*elements = \{ ([^}]*) \}/.exec(nft)![1].split(/,\s*/);
    // the ssh step's probe client (198.18.255.254) among them: it checks sshd from outside on every run
    assert.equal(v4, [
      '5.9.0.0-5.10.15.255',
      '80.120.0.0-80.123.255.255',
      '198.51.100.7',
      '100.64.0.0/10',
      '198.18.255.254',
      '5.9.0.9',
      '10.0.1.0/24',
    ]);
    const v6 = /set allow6 \{[^}]*elements = \{ ([^}]*) \}/.exec(nft)![1].split(/,\s*/);
    assert.equal(v6, [
      '2a01:4f8::-2a01:4f8:ffff:ffff:ffff:ffff:ffff:ffff',
      'fd7a:115c:a1e0::/48',
      'fd00:1:0:0:0:0:0:0/64',
    ]);
    assert.match(
      nft,
      '    iif "lo" accept\n    ip saddr @allow4 accept\n    ip6 saddr @allow6 accept\n' +
        '    tcp dport { 2222 } drop\n    udp dport { 60000-60010 } drop\n',
    );
    assert.is(state.loads, 1);
    assert.equal(state.fetched, [`${DATA.name}@2.3.1`]);
    assert.ok(ctx.$.commands.some((c) => /^systemctl enable --now .*firstboot-geoip-refresh\.timer$/.test(c)));
    assert.equal(await geoip.check(ctx), []);
    assert.equal(await geoip.verify(ctx), []);
  },
);

test('the guard: an SSH session from a country not allowed stops the step before the rules change', async () => {
  const { ctx, state } = server('8.8.8.8');
  await rejects(
    () => geoip.apply(ctx),
    /would cut off 8\.8\.8\.8 \(an SSH session of admin\).*add it to geoip.always_allow, or its country to geoip.countries; access stays as it was/,
  );
  assert.is(state.loads, 0);
  assert.is(await ctx.fs.read(RULES), undefined);
});

test(
  "the owner's address is let through though its country is not in the list; " + 'sessions on other ports do not count',
  async () => {
    const { ctx, state } = server('5.9.0.2', 0, { owner: '2001:4860::8888' });
    await geoip.apply(ctx);
    assert.is(state.loads, 1);
    const v6 = /set allow6 \{[^}]*elements = \{ ([^}]*) \}/.exec((await ctx.fs.read(RULES))!)![1].split(/,\s*/);
    assert.ok(v6.includes('2001:4860:0:0:0:0:0:8888'), v6.join(' '));
    assert.equal(await geoip.check(ctx), []);
    // apply comes from somewhere new (a trip, a VPN): the table is not this owner's until it is rebuilt
    ctx.fs.seed(OWNER, '8.8.4.4\n', 0o600);
    assert.ok(
      (await geoip.check(ctx)).some((d) => d.startsWith(`${RULES} is not this plan's`) && d.includes('owner 8.8.4.4')),
    );
    await geoip.apply(ctx);
    assert.match((await ctx.fs.read(RULES))!, /set allow4 \{[^}]*\b8\.8\.4\.4\b/);
  },
);

test('the guard ignores a connection that never logged in: a scanner abroad holding port 2222 open', async () => {
  // before authentication sshd names the user it was told (when it exists) but never "USER@TTY"
  const { ctx, state } = server('8.8.8.8', 0, { titles: ['sshd: [accepted]', PRE_AUTH, 'sshd: root [preauth]'] });
  await geoip.apply(ctx);
  assert.is(state.loads, 1);
  // sshd-session (OpenSSH 9.8 on) names a session the same way, and is counted
  const later = server('[::ffff:8.8.8.8]', 0, { titles: ['sshd-session: admin [priv]', 'sshd-session: admin@notty'] });
  await rejects(() => geoip.apply(later.ctx), /would cut off 8\.8\.8\.8 \(an SSH session of admin\)/);
});

test('the guard ignores loopback: a local `nc 127.0.0.1 2222`, or a login from the server itself', async () => {
  for (const session of ['127.0.0.1', '[::1]', '[::ffff:127.0.0.1]']) {
    for (const titles of [['sshd: [accepted]'], [AUTHENTICATED]]) {
      const { ctx, state } = server(session, 0, { titles });
      ctx.params = { ...params, countries: ['AT'] };
      await geoip.apply(ctx);
      assert.is(state.loads, 1, `${session} ${titles}`);
    }
  }
});

test(
  'the guard: a mosh session from outside the countries counts; ' + 'a datagram mosh-server never answered does not',
  async () => {
    const { ctx, state } = server();
    ctx.$.on('ss -Hunap', {
      stdout:
        'UNCONN 0 0 0.0.0.0:60001 0.0.0.0:* users:(("mosh-server",pid=812,fd=4))\n' +
        'UNCONN 0 0 0.0.0.0:53 0.0.0.0:* users:(("dnsmasq",pid=50,fd=4))\n',
    });
    const flow = (src: string, dport: number, flags: string) =>
      `ipv4     2 udp      17 118 src=${src} dst=203.0.113.15 sport=50000 dport=${dport} src=203.0.113.15 ` +
      `dst=${src} sport=${dport} dport=50000 ${flags}mark=0 zone=0 use=2`;
    // a scanner's probe of the port (unanswered), a DNS query from abroad: neither is a mosh session
    ctx.fs.seed(
      '/proc/net/nf_conntrack',
      [flow('1.0.0.9', 60001, '[UNREPLIED] '), flow('8.8.8.8', 53, '[ASSURED] ')].join('\n') + '\n',
    );
    await geoip.apply(ctx);
    assert.is(state.loads, 1);
    const abroad = server();
    abroad.ctx.$.on('ss -Hunap', {
      stdout: 'UNCONN 0 0 0.0.0.0:60001 0.0.0.0:* users:(("mosh-server",pid=812,fd=4))\n',
    });
    abroad.ctx.fs.seed('/proc/net/nf_conntrack', `${flow('8.8.4.4', 60001, '[ASSURED] ')}\n`);
    await rejects(() => geoip.apply(abroad.ctx), /would cut off 8\.8\.4\.4 \(a mosh session\)/);
    assert.is(abroad.state.loads, 0);
  },
);

test(
  "a first boot with no owner's address waits: " + 'nothing loaded, nothing failed, the run says what it waits for',
  async () => {
    const { ctx, state } = server('5.9.0.2', 0, { owner: null, titles: [PRE_AUTH] });
    const machine = { $: ctx.$, fs: ctx.fs, log: ctx.log };
    const status = await run(ctx.plan, new Map<StepId, Step>([['geoip', geoip as Step]]), machine, 'geoip');
    assert.is(status.steps[0].result, 'waiting');
    assert.match(
      status.steps[0].error!,
      /^waiting for the owner's address, which GeoIP blocking always lets through: `firstboot apply HOST` or `firstboot create --wait` records it, or log in over SSH as admin and run `sudo firstboot run --only geoip`; until then nothing is blocked$/,
    );
    assert.ok(status.ok);
    assert.is(state.loads, 0);
    assert.is(await ctx.fs.read(RULES), undefined);
    assert.equal(state.fetched, []);
  },
);

test(
  "no owner recorded: the admin's own SSH session is adopted as the owner, " +
    "recorded and let through; another user's is not",
  async () => {
    const { ctx, state } = server('8.8.8.8', 0, { owner: null });
    assert.ok((await geoip.check(ctx)).includes("the owner's address 8.8.8.8 (admin's SSH session) is not recorded"));
    await geoip.apply(ctx);
    assert.is(state.loads, 1);
    assert.is(await ctx.fs.read(OWNER), '8.8.8.8\n');
    assert.is((await ctx.fs.stat(OWNER))!.mode & 0o777, 0o600);
    assert.equal(await geoip.check(ctx), []);
    const bob = server('5.9.0.2', 0, { owner: null, titles: ['sshd: bob@pts/1'] });
    assert.equal(await geoip.check(bob.ctx), []);
    assert.is(bob.ctx.waiting.length, 1);
    await geoip.apply(bob.ctx);
    assert.is(bob.state.loads, 0);
  },
);

test('data that holds far fewer ranges than are loaded keeps the loaded table', async () => {
  const { ctx, state } = server('5.9.0.2', 1000);
  await rejects(
    () => geoip.apply(ctx),
    /the new data holds 10 ranges where 1000 are loaded: that looks wrong, the loaded ones stay/,
  );
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
