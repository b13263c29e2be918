// Scenarios 1 and 4, through the Hetzner side: `firstboot create --wait` with the default config (only
// an SSH key) against the fake API, whose server boots bookworm with the user_data it received. The
// CLI trusts only the host key it generated and waits for the payload over SSH (as root until the
// payload has made the admin: no failed login for fail2ban to count). Then every check, and a second
// run on the hardened server must change nothing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { asAdmin, checkFail2banLast, checkInside, checkLogins, checkRerun, checkSshAudit, hostKey, sudo, type Expect } from './checks';
import { withCloud } from './cloud';
import { keyPair, planOf } from './userdata';

const METADATA = 'timeout 5 bash -c "exec 3<>/dev/tcp/169.254.169.254/80" && echo open || echo blocked';

test('bookworm, default config, firstboot create --wait: hardened, host key trusted from the start; a re-run changes nothing', async () => {
  const key = await keyPair();
  await withCloud({ suite: 'bookworm', key, guestPorts: [22] }, async (cloud) => {
    const start = performance.now();
    const created = await cloud.cli(['create', 'dev1', '--ssh-key', key.public, '--image', 'debian-12', '--wait', '-o', 'json']);
    assert.is(created.code, 0, `create --wait exited ${created.code}:\n${created.stderr}`);
    const result = JSON.parse(created.stdout) as { status: { ok: boolean; steps: { id: string; result: string }[] } };
    console.log(`# create --wait: hardened and confirmed in ${((performance.now() - start) / 1000).toFixed(0)} s`);
    assert.is(result.status.ok, true);
    assert.equal(result.status.steps.filter((s) => s.result === 'failed'), []);

    const [{ vm, userData, server }] = cloud.vms;
    const e: Expect = { plan: planOf(userData), key };
    // the CLI's last tries count against ufw's limit (6 connections in 30 s) too: let the window pass
    await new Promise((res) => setTimeout(res, 35_000));
    // the key the CLI put in known_hosts before the boot is the one the server answers with
    const known = readFileSync(join(cloud.home, '.ssh/known_hosts'), 'utf8');
    assert.is(await hostKey(vm, 22), known.trim().replace(`${server.ipv4} `, ''));
    assert.match(readFileSync(join(cloud.home, '.ssh/config'), 'utf8'), new RegExp(`Host dev1\\n  HostName ${server.ipv4}\\n  User admin\\n`));

    await checkLogins(vm, e);
    // the user-data holds the host key's private half: only root may read the metadata service
    assert.is((await asAdmin(vm, e, METADATA)).trim(), 'blocked', 'the admin reads the metadata service');
    assert.is((await sudo(vm, e, METADATA)).trim(), 'open', 'root cannot read the metadata service');
    await checkInside(vm, e);
    await checkSshAudit(vm, e);
    await checkRerun(vm, e);
    await checkFail2banLast(vm, e);
  });
});

test.run();
