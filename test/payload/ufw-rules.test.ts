// payload/lib/ufw.ts reads ufw's rule files as ufw 0.36 writes them (backend_iptables.py: a "### tuple ###"
// line per rule, the comment hex-encoded), listing what `ufw show added` would and nothing an admin's.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addedRules } from '../../payload/lib/ufw';
import { memoryFs } from '../fakes/fs';

const hex = (text: string) => Buffer.from(text).toString('hex');
const v4 = `*filter
:ufw-user-input - [0:0]
### RULES ###

### tuple ### limit tcp 22 0.0.0.0/0 any 0.0.0.0/0 in comment=${hex('firstboot ssh')}
-A ufw-user-input -p tcp --dport 22 -j ufw-user-limit-accept

### tuple ### allow udp 60000:60010 0.0.0.0/0 any 0.0.0.0/0 in comment=${hex('firstboot mosh')}
### tuple ### allow tcp 8080 0.0.0.0/0 any 0.0.0.0/0 in
### tuple ### allow tcp 2222 0.0.0.0/0 any 0.0.0.0/0 in_tailscale0 comment=${hex('firstboot tailnet ssh')}
### tuple ### allow_log tcp 80 0.0.0.0/0 any 0.0.0.0/0 in
### tuple ### allow tcp 5432 0.0.0.0/0 any 10.0.0.0/8 in
### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 OpenSSH - in
### tuple ### route:allow tcp 443 0.0.0.0/0 any 0.0.0.0/0 in
### tuple ### allow tcp 25 0.0.0.0/0 any 0.0.0.0/0 out
### tuple ### allow tcp 9000 0.0.0.0/0 any 0.0.0.0/0 in_eth0!out_eth1
### tuple ### allow any 53 0.0.0.0/0 any 0.0.0.0/0 in
### tuple ### allow tcp 80,443 0.0.0.0/0 any 0.0.0.0/0 in

### END RULES ###
COMMIT
`;
// the same rules' IPv6 halves, and one rule for IPv6 alone
const v6 = `${v4.replaceAll('0.0.0.0/0', '::/0').replaceAll('ufw-', 'ufw6-')}
### tuple ### deny tcp 23 ::/0 any ::/0 in
`;

async function rules(ipv6: string) {
  const fs = memoryFs()
    .seed('/etc/ufw/user.rules', v4, 0o640)
    .seed('/etc/ufw/user6.rules', v6, 0o640)
    .seed('/etc/default/ufw', `# comment\nIPV6=${ipv6}\nDEFAULT_INPUT_POLICY="DROP"\n`);
  return addedRules(fs);
}

const ours = [
  { action: 'limit', port: '22', proto: 'tcp', iface: '', comment: 'firstboot ssh' },
  { action: 'allow', port: '60000:60010', proto: 'udp', iface: '', comment: 'firstboot mosh' },
  { action: 'allow', port: '8080', proto: 'tcp', iface: '', comment: '' },
  { action: 'allow', port: '2222', proto: 'tcp', iface: 'tailscale0', comment: 'firstboot tailnet ssh' },
];

test("short syntax or one interface, each once; addresses, apps, logs, routes, lists are an admin's", async () => {
  assert.equal(await rules('yes'), [...ours, { action: 'deny', port: '23', proto: 'tcp', iface: '', comment: '' }]);
});

test('user6.rules counts only with IPv6 on, as ufw reads it', async () => {
  assert.equal(await rules('"no"'), ours);
  assert.equal(await rules('"YES"'), [...ours, { action: 'deny', port: '23', proto: 'tcp', iface: '', comment: '' }]);
});

test('no rule files (ufw not installed): no rules', async () => {
  assert.equal(await addedRules(memoryFs()), []);
});

test.run();
