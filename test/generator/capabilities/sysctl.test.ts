import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { kernelSettings } from '../../../contract/kernel-settings';

const settings = (forwarding?: boolean) => new Map(kernelSettings(forwarding));

test('each key is set once, to a plain value', () => {
  for (const forwarding of [false, true]) {
    const list = kernelSettings(forwarding);
    assert.is(new Set(list.map(([key]) => key)).size, list.length);
    for (const [key, value] of list) assert.match(value, /^\d+$/, key);
  }
});

test("keeps the original system's set", () => {
  const s = settings();
  for (const [key, value] of [
    ['net.ipv4.conf.all.send_redirects', '0'],
    ['net.ipv6.conf.default.accept_redirects', '0'],
    ['net.ipv4.tcp_syncookies', '1'],
    ['net.ipv4.tcp_max_syn_backlog', '2048'],
    ['net.ipv4.tcp_synack_retries', '2'],
    ['net.ipv4.conf.all.log_martians', '1'],
    ['net.ipv6.conf.all.accept_source_route', '0'],
    ['net.ipv4.conf.all.rp_filter', '1'],
    ['net.ipv4.ip_forward', '0'],
    ['net.ipv6.conf.all.forwarding', '0'],
    ['net.core.bpf_jit_harden', '2'],
    ['kernel.kptr_restrict', '2'],
    ['kernel.dmesg_restrict', '1'],
    ['kernel.yama.ptrace_scope', '1'],
  ])
    assert.is(s.get(key), value, key);
});

test('never sets what could lock us out or block later modules', () => {
  for (const key of settings().keys())
    assert.not.match(key, /accept_ra|autoconf|router_solicitations|modules_disabled|unprivileged_userns_clone/, key);
});

test('forwarding (a Tailscale exit node) leaves forwarding alone and loosens rp_filter', () => {
  const s = settings(true);
  assert.not.ok(s.has('net.ipv4.ip_forward'));
  assert.not.ok(s.has('net.ipv6.conf.all.forwarding'));
  assert.is(s.get('net.ipv4.conf.all.rp_filter'), '2');
  assert.is(s.get('net.ipv4.conf.default.rp_filter'), '2');
  assert.is(s.get('kernel.kptr_restrict'), '2');
});

test.run();
