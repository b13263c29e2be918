import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fail2banPlan } from '../../../generator/capabilities/fail2ban';
import { durationSeconds } from '../../../generator/config/kinds';

test('durationSeconds reads each unit fail2ban knows by these letters', () => {
  assert.is(durationSeconds('30s'), 30);
  assert.is(durationSeconds('10m'), 600);
  assert.is(durationSeconds('1h'), 3600);
  assert.is(durationSeconds('2d'), 172800);
  assert.is(durationSeconds('1w'), 604800);
  assert.is(durationSeconds('0s'), 0);
});

test('durationSeconds refuses what is not one number and one unit', () => {
  for (const text of ['', '1', 'h', '1.5h', '-1h', '1H', '1 h', '1h30m', '1mo', '1y', ' 1h']) {
    assert.throws(() => durationSeconds(text), /not a duration/, text);
  }
});

test('the sshd jail gets the user values, and its ban time in seconds for verify', () => {
  const plan = fail2banPlan({ sshPort: 2222, bantime: '2h', findtime: '15m', maxretry: 4 });
  assert.equal(
    { ...plan, recidive: undefined },
    {
      id: 'fail2ban',
      sshPort: 2222,
      bantime: '2h',
      bantimeSeconds: 7200,
      findtime: '15m',
      maxretry: 4,
      recidive: undefined,
    },
  );
});

test('recidive bans repeat offenders far longer than the sshd jail, over a wider window', () => {
  const { bantime, recidive } = fail2banPlan({ sshPort: 22, bantime: '1h', findtime: '10m', maxretry: 3 });
  assert.ok(durationSeconds(recidive.bantime) > durationSeconds(bantime));
  assert.ok(durationSeconds(recidive.findtime) >= 86400);
  assert.ok(recidive.maxretry > 1);
});

test('a bad duration is refused, not sent to the server', () => {
  assert.throws(
    () => fail2banPlan({ sshPort: 22, bantime: 'forever', findtime: '10m', maxretry: 3 }),
    /not a duration: "forever"/,
  );
});

test.run();
