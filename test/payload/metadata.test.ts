import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { metadata } from '../../payload/steps/metadata';
import { metadataPlan } from '../../generator/capabilities/metadata';
import { stepContext } from './context';

const UNIT = '/etc/systemd/system/firstboot-metadata-block.service';

function machine() {
  const ctx = stepContext(metadataPlan());
  const rules = new Set<string>();
  let enabled = false;
  let active = false;
  // a rule is known by its tool and the whole rule text after the -I/-C/-D flag
  const key = (cmd: string) => cmd.replace(/^(?:\/usr\/sbin\/)?(ip6?tables) -w (-t \w+) -[ICD] /, '$1 $2 ');
  ctx.$.on(/^ip6?tables -w -t \w+ -C /, (cmd) => ({ exitCode: rules.has(key(cmd)) ? 0 : 1 }))
    .on('systemctl is-enabled --quiet firstboot-metadata-block.service', () => ({ exitCode: enabled ? 0 : 1 }))
    .on('systemctl is-active --quiet firstboot-metadata-block.service', () => ({ exitCode: active ? 0 : 3 }))
    .on('systemctl daemon-reload', {}) // after the unit file is written or changed
    .on('systemctl enable firstboot-metadata-block.service', () => ((enabled = true), {}))
    .on(/^systemctl (start|restart) firstboot-metadata-block.service$/, () => {
      // what the unit's ExecStart lines do
      for (const line of ctx.fs.files
        .get(UNIT)!
        .content!.split('\n')
        .filter((l) => l.startsWith('ExecStart='))) {
        rules.add(key(line.slice('ExecStart='.length)));
      }
      active = true;
      return {};
    })
    .on(/^setpriv /, () => ({ stdout: rules.size ? 'refused\n' : 'connected\n' }));
  return ctx;
}

test('a fresh server: the unit is written, enabled and started, and non-root is refused', async () => {
  const ctx = machine();
  assert.equal(await metadata.check(ctx), [
    `${UNIT} is missing`,
    '169.254.169.254 is open to every user',
    '169.254.169.254 is open to forwarded traffic (containers, VMs)',
    'fe80::a9fe:a9fe is open to every user',
    'fe80::a9fe:a9fe is open to forwarded traffic (containers, VMs)',
    'firstboot-metadata-block.service is not enabled',
  ]);
  assert.equal((await metadata.verify(ctx)).slice(-1), [
    'a non-root process was not refused by 169.254.169.254: connected',
  ]);
  await metadata.apply(ctx);
  const unit = ctx.fs.files.get(UNIT)!.content!;
  assert.match(
    unit,
    /\nExecStart=\/usr\/sbin\/iptables -w -t filter -I OUTPUT -d 169\.254\.169\.254 -m owner ! --uid-owner 0 -m comment --comment firstboot-metadata -j REJECT\n/,
  );
  // forwarded packets: dropped in raw PREROUTING, ahead of anything Docker or ufw add to filter or nat
  assert.match(
    unit,
    /\nExecStart=\/usr\/sbin\/iptables -w -t raw -I PREROUTING -d 169\.254\.169\.254 -m comment --comment firstboot-metadata -j DROP\n/,
  );
  assert.match(unit, /\nExecStart=\/usr\/sbin\/ip6tables -w -t filter -I OUTPUT -d fe80::a9fe:a9fe /);
  assert.match(unit, /\nExecStop=\/usr\/sbin\/iptables -w -t filter -D OUTPUT -d 169\.254\.169\.254 /);
  assert.match(unit, /\nExecStop=\/usr\/sbin\/iptables -w -t raw -D PREROUTING -d 169\.254\.169\.254 /);
  assert.match(unit, /\nBefore=network-pre.target\n/);
  assert.equal(
    ctx.$.commands.filter((c) => c.startsWith('systemctl ') && !c.includes('--quiet')),
    [
      'systemctl daemon-reload',
      'systemctl enable firstboot-metadata-block.service',
      'systemctl start firstboot-metadata-block.service',
    ],
  );
  assert.equal(await metadata.check(ctx), []);
  assert.equal(await metadata.verify(ctx), []);
});

test('only a refusal proves the block: a probe that timed out or failed otherwise is a problem', async () => {
  for (const answer of ['timeout', 'EHOSTUNREACH', '']) {
    const ctx = machine();
    await metadata.apply(ctx);
    ctx.$.on(/^setpriv /, {
      stdout: answer ? `${answer}\n` : '',
      stderr: answer ? '' : 'setpriv: setresuid failed: Operation not permitted\n',
      exitCode: answer ? 0 : 1,
    });
    assert.equal(await metadata.verify(ctx), [
      `a non-root process was not refused by 169.254.169.254: ` +
        `${answer || 'setpriv: setresuid failed: Operation not permitted'}`,
    ]);
  }
});

test('a second run on a converged server changes nothing', async () => {
  const ctx = machine();
  await metadata.apply(ctx);
  const writes = ctx.fs.writes.length;
  const before = ctx.$.commands.length;
  assert.equal(await metadata.check(ctx), []);
  assert.is(ctx.fs.writes.length, writes);
  assert.equal(
    ctx.$.commands.slice(before).filter((c) => /-I |-D |start|enable /.test(c)),
    [],
  );
});

test('rules flushed by hand are drift, and a restart (stop, then start) puts them back once', async () => {
  const ctx = machine();
  await metadata.apply(ctx);
  ctx.$.on(/^ip6?tables -w -t filter -C /, { exitCode: 1 });
  assert.equal(await metadata.check(ctx), [
    '169.254.169.254 is open to every user',
    'fe80::a9fe:a9fe is open to every user',
  ]);
  await metadata.apply(ctx);
  assert.is(ctx.$.commands.at(-1), 'systemctl restart firstboot-metadata-block.service');
});

test.run();
