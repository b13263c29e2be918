import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { firewallPlan } from '../../../generator/capabilities/firewall';

test('SSH comes first, rate-limited; mosh and the user list follow, all marked as firstboot rules', () => {
  const plan = firewallPlan({
    sshPort: 2222,
    mosh: { ports: '60000:60010' },
    allow: [
      { port: '443', proto: 'tcp' },
      { port: '8000:8100', proto: 'udp' },
    ],
  });
  assert.equal(plan, {
    id: 'firewall',
    sshPort: 2222,
    rules: [
      { action: 'limit', port: '2222', proto: 'tcp', comment: 'firstboot ssh' },
      { action: 'allow', port: '60000:60010', proto: 'udp', comment: 'firstboot mosh' },
      { action: 'allow', port: '443', proto: 'tcp', comment: 'firstboot allow' },
      { action: 'allow', port: '8000:8100', proto: 'udp', comment: 'firstboot allow' },
    ],
  });
  for (const rule of plan.rules)
    assert.ok(rule.comment.startsWith('firstboot'), 'the payload removes only rules marked so');
});

test('without mosh there is no UDP range', () => {
  for (const mosh of [false, undefined] as const) {
    assert.equal(firewallPlan({ sshPort: 22, mosh, allow: [] }).rules, [
      { action: 'limit', port: '22', proto: 'tcp', comment: 'firstboot ssh' },
    ]);
  }
});

test.run();
