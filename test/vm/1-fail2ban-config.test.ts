// The fail2ban step's files as Debian's own fail2ban reads them, next to each release's packaged
// defaults: Debian 13's defaults-debian.conf sets the sshd jail's journal match and an nftables ban
// action, and a jail setting beats a filter's, which a booted trixie once showed the hard way.
// `fail2ban-client -d` prints the commands it would send the server without starting one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fail2banPlan } from '../../generator/capabilities/fail2ban';
import { fail2banFiles } from '../../payload/steps/fail2ban';
import { journalArgs, SSHD_JOURNAL } from '../../payload/lib/journal';
import { removeTree, run } from './exec';
import { buildRepo } from './repo';
import type { Suite } from './packages';

const plan = fail2banPlan({ sshPort: 2222, bantime: '1h', findtime: '10m', maxretry: 3 });

/** fail2ban from the suite's repository, our files on top of its /etc/fail2ban, and what it would tell its server. */
async function dump(suite: Suite): Promise<string> {
  const repo = await buildRepo(suite);
  const deb = readdirSync(repo).filter((f) => /^fail2ban_.*\.deb$/.test(f));
  assert.is(deb.length, 1, `${suite}: fail2ban debs in the repository: ${deb.join(', ')}`);
  const root = mkdtempSync(join(tmpdir(), `fail2ban-${suite}-`));
  try {
    await run('dpkg-deb', ['-x', join(repo, deb[0]), root]);
    const conf = join(root, 'conf');
    cpSync(join(root, 'etc/fail2ban'), conf, { recursive: true });
    for (const file of fail2banFiles(plan)) {
      const path = join(conf, file.path.replace('/etc/fail2ban/', ''));
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, file.content);
    }
    const env = `PYTHONPATH=${join(root, 'usr/lib/python3/dist-packages')}`;
    return await run('env', [env, 'python3', join(root, 'usr/bin/fail2ban-client'), '-c', conf, '-d']);
  } finally {
    await removeTree(root);
  }
}

for (const suite of ['bookworm', 'trixie'] as const) {
  test(`${suite}: fail2ban reads the sshd jail, the filter extension and the recidive jail as meant`, async () => {
    const out = await dump(suite);
    const has = (line: string) =>
      assert.ok(
        out.includes(line),
        `${suite}: no ${line} in\n${out
          .split('\n')
          .filter((l) => !l.includes('failregex'))
          .join('\n')}`,
      );
    has(`['add', 'sshd', 'systemd']`);
    has(
      `['set', 'sshd', 'addjournalmatch', ${journalArgs(SSHD_JOURNAL)
        .map((a) => `'${a}'`)
        .join(', ')}]`,
    );
    has(`(?:sshd(?:-session)?(?:\\\\[\\\\d+\\\\])?:?\\\\s+)?`);
    has(`['set', 'sshd', 'bantime', '1h']`);
    has(`['set', 'sshd', 'findtime', '10m']`);
    has(`['set', 'sshd', 'maxretry', 3]`);
    has(`['set', 'sshd', 'addaction', 'iptables-multiport']`);
    has(`['add', 'recidive', 'auto']`);
    has(`['set', 'recidive', 'addaction', 'iptables-allports']`);
    has(`['set', 'dbpurgeage', '1w']`);
    assert.not.match(out, /nftables/, `${suite}: an nftables action, but only iptables is installed`);
  });
}

test.run();
