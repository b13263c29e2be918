// Scenario: `firstboot apply` on a stock bookworm server that booted with nothing but the project's SSH
// key for root (no firstboot user-data), through the real OpenSSH client with the user's own
// known_hosts and ~/.ssh/config. The run moves sshd to 2222 and shuts root out on the way; apply
// follows it there as the admin, then writes the Host block. A secret (the admin's console password)
// goes along and must land root-only and nowhere else. A second apply changes nothing; after drift by
// hand, `apply --check` names it and exits 1.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Plan } from '../../contract/plan';
import type { Status } from '../../contract/status';
import { checkInside, checkLogins, sudo, type Expect } from './checks';
import { CLOUD_INIT_FINISHED, withVm } from './scenario';
import { VM_REGISTRY } from './npm';
import { sshRoute } from './route';
import { keyPair } from './userdata';

const CLI = resolve(new URL('../../dist/firstboot.js', import.meta.url).pathname);
const HOST = '192.0.2.20';
const CONFIG = 'ssh:\n  port: 2222\nadmin:\n  password: secret:console\n';

test('apply over SSH on a running server: hardened, sshd moved and root shut out on the way, a secret delivered and nowhere else; converged runs change nothing; drift found', async () => {
  const key = await keyPair();
  const route = await sshRoute(key);
  const dir = mkdtempSync(join(tmpdir(), 'firstboot-apply-'));
  const config = join(dir, 'firstboot.yaml');
  const secretFile = join(dir, 'console');
  const secret = `pw-${randomBytes(12).toString('hex')}`;
  writeFileSync(config, CONFIG);
  writeFileSync(secretFile, `${secret}\n`, { mode: 0o600 });
  const cli = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((res) => {
      execFile(process.execPath, [CLI, ...args], { env: route.env, encoding: 'utf8', maxBuffer: 1 << 26, timeout: 40 * 60_000 }, (error, stdout, stderr) => {
        res({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      });
    });
  const common = ['-c', config, '--ssh-key', key.public, '--registry', VM_REGISTRY];
  const plan = JSON.parse((await cli(['plan', ...common, '-o', 'json'])).stdout) as Plan;
  const e: Expect = { plan, key };

  const publicKey = readFileSync(key.public, 'utf8').trim();
  await withVm({ name: 'apply', suite: 'bookworm', userData: '', hostPorts: [22, 2222], publicKeys: [publicKey] }, async (vm) => {
    await vm.waitForConsole(CLOUD_INIT_FINISHED, 10 * 60_000);
    route.add(HOST, vm, [22, 2222]);
    // the user trusts the host key they have seen before: its ECDSA key, which the run removes
    const root = (command: string) => vm.ssh('root', command, { key: key.private });
    const ecdsa = (await root('cat /etc/ssh/ssh_host_ecdsa_key.pub')).stdout.trim().split(' ').slice(0, 2).join(' ');
    writeFileSync(join(route.home, '.ssh/known_hosts'), `${HOST} ${ecdsa}\n`);
    // every command line on the server, sampled through the run
    const sampler = 'while :; do cat /proc/[0-9]*/cmdline 2>/dev/null | tr "\\0" " " >> /root/cmdlines; echo >> /root/cmdlines; sleep 0.5; done';
    assert.is((await root(`systemd-run -q --unit=cmdline-sampler sh -c '${sampler}'`)).code, 0);

    const start = performance.now();
    const applying = cli(['apply', `root@${HOST}`, ...common, '--secret', `console=@${secretFile}`]);
    // once sshd has moved and root is out, its connection is cut: apply must find the run again on 2222 as the admin
    await vm.waitForConsole(/\[INFO\] ssh +changed/, 20 * 60_000);
    // (the bracket keeps pkill from matching the command lines of this sudo and its shell)
    await sudo(vm, e, `pkill -f "sshd: roo[t]@notty"`);
    const first = await applying;
    console.log(`# apply: hardened a running server in ${((performance.now() - start) / 1000).toFixed(0)} s`);
    assert.is(first.code, 0, `apply exited ${first.code}:\n${first.stderr}`);
    assert.match(first.stderr, /lost the connection .*; logging in again/);
    assert.match(first.stderr, /firstboot finished: ok/);
    assert.is(first.stderr.match(/\[INFO\] ssh +changed/g)?.length, 1, 'a log line was printed twice after logging in again');
    assert.not.ok((first.stdout + first.stderr).includes(secret), 'the CLI printed the secret');
    assert.match(readFileSync(join(route.home, '.ssh/config'), 'utf8'), new RegExp(`Host ${HOST}\\n  HostName ${HOST}\\n  User admin\\n  Port 2222\\n`));
    assert.match(readFileSync(join(route.home, '.ssh/known_hosts'), 'utf8'), new RegExp(`^\\[${HOST}\\]:2222 ssh-ed25519 `, 'm'));

    await checkLogins(vm, e);
    await checkInside(vm, e);
    assert.is((await sudo(vm, e, `stat -c '%a %U' /var/lib/firstboot/secrets /var/lib/firstboot/secrets/console`)).trim(), '700 root\n600 root');
    assert.is((await sudo(vm, e, 'passwd -S admin')).split(' ')[1], 'P', 'the console password is not set');
    await sudo(vm, e, 'systemctl stop cmdline-sampler');
    const places = '/root/cmdlines /var/log/firstboot.log /var/lib/firstboot/status.json /var/lib/firstboot/plan.json /usr/local/lib/firstboot /etc /var/log/sudo.log';
    // the pattern comes from the secret's own file: on a command line, the check would leak it itself
    const found = await sudo(vm, e, `sh -c 'f=/var/lib/firstboot/secrets/console; grep -rlFf $f ${places}; journalctl -o cat | grep -cFf $f; true'`);
    assert.is(found.trim(), '0', `the secret is outside its file: ${found}`);
    assert.ok(Number((await sudo(vm, e, `sh -c 'wc -l < /root/cmdlines'`)).trim()) > 100, 'the sampler saw too little of the run');

    // converged: --check agrees, and a second apply (through the Host block: admin on 2222) changes nothing
    const converged = await cli(['apply', '--check', HOST, ...common]);
    assert.is(converged.code, 0, `apply --check on a converged server exited ${converged.code}:\n${converged.stdout}${converged.stderr}`);
    const again = await cli(['apply', HOST, ...common, '--secret', `console=@${secretFile}`, '-o', 'json']);
    assert.is(again.code, 0, again.stderr);
    const status = (JSON.parse(again.stdout) as { status: Status }).status;
    assert.equal(status.steps.filter((s) => s.result !== 'ok').map((s) => `${s.id}: ${s.result}`), []);

    // drift by hand: the sshd drop-in edited, a port opened
    await sudo(vm, e, `sh -c 'sed -i "s/^MaxAuthTries .*/MaxAuthTries 6/" /etc/ssh/sshd_config.d/00-firstboot.conf && ufw allow 8081/tcp'`);
    const drift = await cli(['apply', '--check', HOST, ...common]);
    assert.is(drift.code, 1, `apply --check after drift exited ${drift.code}:\n${drift.stdout}${drift.stderr}`);
    assert.match(drift.stdout, /^ssh\s+DIFFERS .*00-firstboot\.conf/m);
    assert.match(drift.stdout, /^firewall\s+DIFFERS .*allow 8081\/tcp/m);
  });
});

test.run();
