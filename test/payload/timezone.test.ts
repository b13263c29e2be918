import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { timezone } from '../../payload/steps/timezone';
import { stepContext } from './context';
import { rejects } from '../rejects';

const params = { id: 'timezone' as const, timezone: 'Europe/Paris' };

test('points /etc/localtime at the zone and names it in /etc/timezone', async () => {
  const ctx = stepContext(params);
  ctx.fs.seed('/usr/share/zoneinfo/Europe/Paris', 'TZif');
  await ctx.fs.symlink('/usr/share/zoneinfo/Etc/UTC', '/etc/localtime');
  assert.equal(await timezone.check(ctx), [
    '/etc/localtime points to /usr/share/zoneinfo/Etc/UTC, wants /usr/share/zoneinfo/Europe/Paris',
    '/etc/timezone is missing',
  ]);
  await timezone.apply(ctx);
  assert.is(await ctx.fs.readlink('/etc/localtime'), '/usr/share/zoneinfo/Europe/Paris');
  assert.is(await ctx.fs.read('/etc/timezone'), 'Europe/Paris\n');
  assert.equal(await timezone.check(ctx), []);
});

test('refuses a zone the machine does not have, changing nothing', async () => {
  const ctx = stepContext(params);
  await rejects(() => timezone.apply(ctx), /unknown time zone Europe\/Paris/);
  assert.equal(ctx.fs.writes, []);
});

test('verify compares the zone abbreviation date(1) sees with the wanted one', async () => {
  const ctx = stepContext(params);
  ctx.$.on('date +%Z', { stdout: 'UTC\n' }).on('env TZ=Europe/Paris date +%Z', { stdout: 'CET\n' });
  assert.equal(await timezone.verify(ctx), ['local time zone is UTC, wants Europe/Paris (CET)']);
  ctx.$.on('date +%Z', { stdout: 'CET\n' });
  assert.equal(await timezone.verify(ctx), []);
});

test.run();
