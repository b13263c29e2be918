// apply and SSH through the tailnet: the name the run reports, the login through it that the run waits for,
// and the strict forms a reported tailnet name and host key must have before known_hosts takes them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { applyPlan } from '../../apply/apply';
import { MARK } from '../../apply/remote';
import { rejects } from '../rejects';
import { hostKey, tailnetName } from '../../ssh/reported';
import { Fail } from '../../contract/fail';
import { HOST_KEY, planFor, target, status, LOG, ended, server, options } from './apply-setup';

test('SSH left to the tailnet only: apply says the tailnet name, and the host key is trusted under it', async () => {
  const plan = await planFor('ssh:\n  port: 2222\n');
  const t = target();
  const converged = {
    ...status,
    steps: [...status.steps, { id: 'tailscale', result: 'ok', seconds: 1 }],
  };
  const run = server(() => ({
    lines: [
      `${MARK.hostKey}${HOST_KEY}`,
      `${MARK.cursor}c`,
      `${MARK.tailnet}web1.example-tailnet.ts.net`,
      ...LOG,
      `${MARK.result}success`,
      JSON.stringify(converged),
    ],
  }));
  const result = await applyPlan({ ...options(t, run), plan });
  assert.is(result.tailnet, 'web1.example-tailnet.ts.net');
  assert.ok(readFileSync(t.knownHosts, 'utf8').split('\n').includes(`[web1.example-tailnet.ts.net]:2222 ${HOST_KEY}`));
  // no tailnet name: none in the result
  const before = await applyPlan({
    ...options(
      target(),
      server(() => ({ lines: [`${MARK.hostKey}${HOST_KEY}`, `${MARK.cursor}c`, MARK.tailnet, ...LOG, ...ended] })),
    ),
    plan,
  });
  assert.is(before.tailnet, undefined);
});

test(
  'tailnet-only SSH waiting for the owner: apply logs in through the tailnet name with the pinned key, ' +
    'notes that login, runs the payload again over it, and only then says SSH goes through the tailnet',
  async () => {
    const plan = await planFor('ssh:\n  port: 2222\n');
    const t = target();
    const waiting = {
      ...status,
      steps: [
        {
          id: 'tailscale',

          result: 'waiting',
          seconds: 1,
          error:
            'waiting for a login through the tailnet name web1.example-tailnet.ts.net: SSH and mosh stay public ' +
            'until it works',
        },
      ],
    };
    const closed = { ...status, steps: [{ id: 'tailscale', result: 'changed', seconds: 1 }] };
    const run = server((call) =>
      call.login.host
        ? {
            lines: [
              `${MARK.cursor}d`,
              '[INFO] tailscale: SSH goes through the tailnet only: web1.example-tailnet.ts.net',
              `${MARK.hostKey}${HOST_KEY}`,
              `${MARK.tailnet}web1.example-tailnet.ts.net`,
              `${MARK.result}success`,
              JSON.stringify(closed),
            ],
          }
        : {
            lines: [
              `${MARK.hostKey}${HOST_KEY}`,
              `${MARK.cursor}c`,
              `${MARK.tailnet}web1.example-tailnet.ts.net`,
              ...LOG,
              `${MARK.result}success`,
              JSON.stringify(waiting),
            ],
          },
    );
    const reported: string[] = [];
    const result = await applyPlan({ ...options(t, run, [], reported), plan });
    const via = run.calls.find((c) => c.login.host);
    assert.equal(via?.login, { user: 'admin', port: 2222, host: 'web1.example-tailnet.ts.net' });
    // the login notes its own SSH_CONNECTION, which sudo would drop, and starts the run again
    assert.match(
      via!.command,
      /^sudo -n sh -c '.*\/var\/lib\/firstboot\/tailnet-login.*systemctl restart --no-block firstboot.service.*' sh "\$SSH_CONNECTION"$/s,
    );
    // by then the host key is trusted under the tailnet name, so ssh checks it there
    assert.ok(
      readFileSync(t.knownHosts, 'utf8').split('\n').includes(`[web1.example-tailnet.ts.net]:2222 ${HOST_KEY}`),
    );
    assert.is(result.tailnet, 'web1.example-tailnet.ts.net');
    assert.equal(result.status, closed);
    assert.ok(
      reported.some((m) =>
        m.startsWith('logging in through the tailnet as admin@web1.example-tailnet.ts.net (port 2222)'),
      ),
    );

    // the tailnet login fails: no tailnet in the result (the Host block keeps the public address), and apply says why
    const cut = server((call) =>
      call.login.host
        ? {
            code: 255,
            stderr: 'ssh: Could not resolve hostname web1.example-tailnet.ts.net: Name or service not known',
          }
        : {
            lines: [
              `${MARK.hostKey}${HOST_KEY}`,
              `${MARK.cursor}c`,
              `${MARK.tailnet}web1.example-tailnet.ts.net`,
              ...LOG,
              `${MARK.result}success`,
              JSON.stringify(waiting),
            ],
          },
    );
    const said: string[] = [];
    const pending = await applyPlan({ ...options(target(), cut, [], said), plan });
    assert.is(pending.tailnet, undefined);
    assert.equal(pending.status, waiting);
    const couldNot =
      /^could not log in through the tailnet name web1.example-tailnet.ts.net, so SSH and mosh stay public: ssh: Could not resolve/;
    assert.ok(
      said.some((m) => couldNot.test(m)),
      said.join('\n'),
    );
    // a tailscale step that failed after naming the node closed nothing either
    const failed = {
      ...status,
      ok: false,
      steps: [
        {
          id: 'tailscale',

          result: 'failed',
          seconds: 1,
          error: 'the node is offline in the tailnet',
        },
      ],
    };
    const broken = server(() => ({
      lines: [
        `${MARK.hostKey}${HOST_KEY}`,
        `${MARK.cursor}c`,
        `${MARK.tailnet}web1.example-tailnet.ts.net`,
        ...LOG,
        `${MARK.result}success`,
        JSON.stringify(failed),
      ],
    }));
    assert.is((await applyPlan({ ...options(target(), broken), plan })).tailnet, undefined);
  },
);

test(
  'a tailnet name or host key not of its strict form: ' + 'refused with a sentence, and known_hosts untouched',
  async () => {
    const plan = await planFor('ssh:\n  port: 2222\n');
    for (const name of ['github.com,*', '*', 'web1 evil.example', 'web1.ts.net|x', '-web1.ts.net', 'web1.ts.net/..']) {
      const t = target();
      const before = readFileSync(t.knownHosts, 'utf8');
      const run = server(() => ({
        lines: [`${MARK.hostKey}${HOST_KEY}`, `${MARK.cursor}c`, `${MARK.tailnet}${name}`, ...LOG, ...ended],
      }));
      const err = await rejects(
        () => applyPlan({ ...options(t, run), plan }),
        /as its tailnet name, which is not a DNS name .*nothing was written/,
      );
      assert.instance(err, Fail);
      // the first login's key is in (it came before the name); nothing of the run's end is
      assert.equal(readFileSync(t.knownHosts, 'utf8'), `${before}203.0.113.5 ${HOST_KEY}\n`, name);
    }
    for (const key of [
      'ssh-ed25519 AAAA,*',
      'ssh-ed25519 *',
      `ssh-rsa ${HOST_KEY.split(' ')[1]}`,
      `ssh-ed25519 ${Buffer.from('\0\0\0\x07ssh-rsa....').toString('base64')}`,
    ]) {
      const t = target();
      const before = readFileSync(t.knownHosts, 'utf8');
      const run = server(() => ({
        lines: [`${MARK.hostKey}${key}`, `${MARK.cursor}c`, ...LOG, `${MARK.hostKey}${key}`, ...ended.slice(1)],
      }));
      await rejects(
        () => applyPlan({ ...options(t, run), plan }),
        /as its host key, which is not a ssh-ed25519 key in base64; nothing was written to known_hosts/,
      );
      assert.is(readFileSync(t.knownHosts, 'utf8'), before, key);
    }
  },
);

test('the strict forms: a DNS name of letters, digits, hyphens and dots; a known key type whose blob names it', () => {
  assert.is(tailnetName('web-1.example-tailnet.ts.net'), 'web-1.example-tailnet.ts.net');
  for (const bad of [
    '',
    'web1',
    'web1.',
    '.ts.net',
    'web1..ts.net',
    'web1.ts.net\nHost *',
    'web_1.ts.net',
    'wéb.ts.net',
    `${'a'.repeat(64)}.ts.net`,
    `${'abc.'.repeat(63)}net`,
  ]) {
    assert.throws(
      () => tailnetName(bad),
      (e: Error) => e instanceof Fail,
      bad,
    );
  }
  const blob = HOST_KEY.split(' ')[1];
  assert.is(hostKey(`${HOST_KEY} root@web1`), HOST_KEY);
  for (const bad of [
    `ssh-ed25519 ${blob}\n@cert-authority * ssh-ed25519 ${blob}`,
    `ssh-dss ${blob}`,
    'ssh-ed25519',
    `ssh-ed25519 ${blob}$`,
  ]) {
    assert.throws(
      () => hostKey(bad),
      (e: Error) => e instanceof Fail,
      bad,
    );
  }
});

test.run();
