// Scenario: `firstboot apply` on a stock bookworm server that booted with nothing but the project's SSH
// key for root (no firstboot user-data), through the real OpenSSH client with the user's own
// known_hosts and ~/.ssh/config. The run moves sshd to 2222 and shuts root out on the way; apply
// follows it there as the admin, then writes the Host block. A secret (the admin's console password)
// goes along and must land root-only and nowhere else. A second apply changes nothing; after drift by
// hand, `apply --check` names it and exits 1. The daily report goes to a real SMTP server on the host
// (STARTTLS on a certificate the guest trusts, AUTH checking the password, itself a secret). GeoIP
// blocking lets only Germany reach SSH, from country data the test makes (qemu's network, where every
// connection from the host comes from, is German in it): a client from a US address is dropped, one
// from a German address answered; a plan for Austria loads though a scanner holds connections to sshd
// open from outside it (they never log in), with apply's own address let through, and is refused once
// that address is no longer the owner's while the admin's SSH session comes from it.
// Last, a third apply adds Tailscale with SSH through the tailnet only, from a stand-in package in a
// repository the test signs (tailscale.ts: Tailscale's own cannot be reached here): the run opens SSH
// on the tailnet and keeps it public, apply logs in through the tailnet name (route.ts forwards it to
// the guest's tailnet address), and only the run that login starts closes public SSH; `ssh HOST` then
// leads there, and a repository its key did not sign is refused with apt left as it was.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Plan } from '../../contract/plan';
import type { Status } from '../../contract/status';
import { asAdmin, sudo, type Expect } from './access';
import { checkConsoleLogin, checkInside, checkLogins } from './checks';
import { CLOUD_INIT_FINISHED, withVm } from './scenario';
import { localPackage, VM_REGISTRY } from './npm';
import { TAILNET } from './tailscale-package';
import { tailscaleRepo } from './tailscale';
import { sshRoute } from './route';
import { startSmtp } from './smtp';
import { keyPair } from './userdata';
import {
  CLI,
  HOST,
  SMTP,
  CONFIG,
  GEO_DATA,
  geoip,
  tailscale,
  fromNamespace,
  checkGeoipGuard,
  checkSecretsStayed,
  checkWrongRepository,
} from './apply-scenario';

test(
  'apply over SSH on a running server: hardened, sshd moved and root shut out on the way, ' +
    'a secret delivered and nowhere else; converged runs change nothing; drift found',
  async () => {
    const key = await keyPair();
    const route = await sshRoute(key);
    const dir = mkdtempSync(join(tmpdir(), 'firstboot-apply-'));
    const config = join(dir, 'firstboot.yaml');
    const secretFile = join(dir, 'console');
    const secret = `pw-${randomBytes(12).toString('hex')}`;
    const smtpPassword = `smtp-${randomBytes(12).toString('hex')}`;
    const geo = await localPackage('firstboot-test-geoip', '1.0.0', GEO_DATA);
    const ts = await tailscaleRepo();
    writeFileSync(config, CONFIG + geoip(geo.pin.integrity));
    writeFileSync(secretFile, `${secret}\n`, { mode: 0o600 });
    const smtp = await startSmtp(SMTP.host, SMTP.user, smtpPassword);
    const secrets = ['--secret', `console=@${secretFile}`, '--secret', 'smtp=env:SMTP_PASSWORD'];
    route.env.SMTP_PASSWORD = smtpPassword;
    const cli = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((res) => {
        execFile(
          process.execPath,
          [CLI, ...args],
          { env: route.env, encoding: 'utf8', maxBuffer: 1 << 26, timeout: 40 * 60_000 },
          (error, stdout, stderr) => {
            res({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
          },
        );
      });
    const common = ['-c', config, '--ssh-key', key.public, '--registry', VM_REGISTRY];
    const plan = JSON.parse((await cli(['plan', ...common, '-o', 'json'])).stdout) as Plan;
    const e: Expect = { plan, key };

    const publicKey = readFileSync(key.public, 'utf8').trim();
    const services = [{ address: SMTP.address, port: SMTP.port, to: smtp.port }];
    const served = { '/tailscale/': ts.root, '/tailscale-wrong/': ts.wrong };
    await withVm(
      {
        name: 'apply',
        suite: 'bookworm',
        userData: '',
        hostPorts: [22, 2222],
        tailnet: [2222],
        publicKeys: [publicKey],
        services,
        served,
        publish: [geo.tarball],
      },
      async (vm) => {
        await vm.waitForConsole(CLOUD_INIT_FINISHED, 10 * 60_000);
        route.add(HOST, vm, [22, 2222]);
        // the user trusts the host key they have seen before: its ECDSA key, which the run removes
        const root = (command: string) => vm.ssh('root', command, { key: key.private });
        // the mail server's name and its CA, as a site's own would be set up
        const trust =
          `echo "${SMTP.address} ${SMTP.host}" >> /etc/hosts && printf '%s' '${smtp.ca}' > ` +
          `/usr/local/share/ca-certificates/firstboot-test.crt && update-ca-certificates`;
        assert.is((await root(trust)).code, 0);
        const ecdsa = (await root('cat /etc/ssh/ssh_host_ecdsa_key.pub')).stdout
          .trim()
          .split(' ')
          .slice(0, 2)
          .join(' ');
        writeFileSync(join(route.home, '.ssh/known_hosts'), `${HOST} ${ecdsa}\n`);
        // every command line on the server, sampled through the run
        const sampler =
          'while :; do cat /proc/[0-9]*/cmdline 2>/dev/null | tr "\\0" " " >> /root/cmdlines; echo >> ' +
          '/root/cmdlines; sleep 0.5; done';
        assert.is((await root(`systemd-run -q --unit=cmdline-sampler sh -c '${sampler}'`)).code, 0);

        const start = performance.now();
        const applying = cli(['apply', `root@${HOST}`, ...common, ...secrets]);
        // once sshd has moved and root is out, its connection is
        // cut: apply must find the run again on 2222 as the admin
        await vm.waitForConsole(/\[INFO\] ssh +changed/, 20 * 60_000);
        // (the bracket keeps pkill from matching the command lines of this sudo and its shell)
        await sudo(vm, e, `pkill -f "sshd: roo[t]@notty"`);
        const first = await applying;
        console.log(`# apply: hardened a running server in ${((performance.now() - start) / 1000).toFixed(0)} s`);
        assert.is(first.code, 0, `apply exited ${first.code}:\n${first.stderr}`);
        assert.match(first.stderr, /lost the connection .*; logging in again/);
        assert.match(first.stderr, /firstboot finished: ok/);
        assert.is(
          first.stderr.match(/\[INFO\] ssh +changed/g)?.length,
          1,
          'a log line was printed twice after logging in again',
        );
        assert.not.ok(
          [secret, smtpPassword].some((s) => (first.stdout + first.stderr).includes(s)),
          'the CLI printed a secret',
        );
        assert.match(
          readFileSync(join(route.home, '.ssh/config'), 'utf8'),
          new RegExp(`Host ${HOST}\\n  HostName ${HOST}\\n  User admin\\n  Port 2222\\n`),
        );
        assert.match(
          readFileSync(join(route.home, '.ssh/known_hosts'), 'utf8'),
          new RegExp(`^\\[${HOST}\\]:2222 ssh-ed25519 `, 'm'),
        );

        await checkLogins(vm, e);
        await checkInside(vm, e);
        assert.is(
          (await sudo(vm, e, `stat -c '%a %U' /var/lib/firstboot/secrets /var/lib/firstboot/secrets/console`)).trim(),
          '700 root\n600 root',
        );
        assert.is((await sudo(vm, e, 'passwd -S admin')).split(' ')[1], 'P', 'the console password is not set');
        await checkConsoleLogin(vm, e, secret);

        // the report: mailed through the real server, the check results in its body, the timer waiting for tomorrow
        assert.is((await sudo(vm, e, 'systemctl is-active firstboot-report.timer')).trim(), 'active');
        assert.match(await sudo(vm, e, 'firstboot report --now'), /^$/);
        const [mail] = smtp.mails();
        assert.ok(mail, `no mail arrived: ${smtp.log.join('\n')}`);
        assert.match(mail, /^To: ops@example.org\r?$/m);
        assert.match(mail, /^Subject: \[apply\] firstboot: all checks ok\r?$/m);
        assert.match(mail, /^firstboot check\r?\n {2}packages +ok\r?$/m);
        assert.match(mail, /^ {2}ssh +ok\r?$/m);

        // GeoIP: the table is live; the US client is dropped, the German one gets sshd's banner
        assert.is(
          (await sudo(vm, e, 'systemctl is-active firstboot-geoip.service firstboot-geoip-refresh.timer')).trim(),
          'active\nactive',
        );
        assert.match(await asAdmin(vm, e, fromNamespace('us', '8.8.8.1', '8.8.8.8')), /^ exit 124$/m);
        assert.match(await asAdmin(vm, e, fromNamespace('de', '5.9.200.1', '5.9.200.2')), /^SSH-2.0 exit 0$/m);

        await checkSecretsStayed(vm, e);

        // converged: --check agrees, and a second apply (through the Host block: admin on 2222) changes nothing
        const converged = await cli(['apply', '--check', HOST, ...common]);
        assert.is(
          converged.code,
          0,
          `apply --check on a converged server exited ${converged.code}:\n${converged.stdout}${converged.stderr}`,
        );
        const again = await cli(['apply', HOST, ...common, ...secrets, '-o', 'json']);
        assert.is(again.code, 0, again.stderr);
        const status = (JSON.parse(again.stdout) as { status: Status }).status;
        assert.equal(
          status.steps.filter((s) => s.result !== 'ok').map((s) => `${s.id}: ${s.result}`),
          [],
        );

        // drift by hand: the sshd drop-in edited, a port opened
        await sudo(
          vm,
          e,
          `sh -c 'sed -i "s/^MaxAuthTries .*/MaxAuthTries 6/" /etc/ssh/sshd_config.d/00-firstboot.conf && ufw ` +
            `allow 8081/tcp'`,
        );
        const drift = await cli(['apply', '--check', HOST, ...common]);
        assert.is(drift.code, 1, `apply --check after drift exited ${drift.code}:\n${drift.stdout}${drift.stderr}`);
        assert.match(drift.stdout, /^ssh\s+DIFFERS .*00-firstboot\.conf/m);
        assert.match(drift.stdout, /^firewall\s+DIFFERS .*allow 8081\/tcp/m);

        // a wrong SMTP password fails visibly, and the next report says so
        await sudo(vm, e, `sh -c 'printf wrong > /var/lib/firstboot/secrets/smtp'`);
        const refused = await asAdmin(vm, e, 'sudo -n firstboot report --now 2>&1; echo "exit $?"');
        assert.match(refused, /report: sending to ops@example.org failed: msmtp: authentication failed[^]*exit 1\n$/);
        assert.match(
          await sudo(vm, e, 'firstboot report --print'),
          /The previous report was not sent\n {2}\S+: msmtp: authentication failed/,
        );
        assert.is(smtp.mails().length, 1);

        await checkGeoipGuard(vm, e);

        // Tailscale: the auth key goes as a secret; the run joins, proves sshd on the tailnet address and opens
        // SSH and mosh on tailscale0 but keeps them public; apply logs in through the tailnet name, and the run
        // that login starts closes them publicly; the Host block then leads to the tailnet name
        await sudo(vm, e, 'ufw delete allow 8081/tcp'); // the drift above, which no run takes back
        const authKey = `tskey-auth-${randomBytes(12).toString('hex')}`;
        writeFileSync(join(dir, 'tailscale'), `${authKey}\n`, { mode: 0o600 });
        writeFileSync(config, CONFIG + geoip(geo.pin.integrity) + tailscale(ts.fingerprint));
        const tailnetName = `apply.${TAILNET.domain}`;
        route.add(tailnetName, vm, [2222], { tailnet: true });
        const joined = await cli([
          'apply',
          HOST,
          ...common,
          ...secrets,
          '--secret',
          `tailscale=@${join(dir, 'tailscale')}`,
        ]);
        assert.is(joined.code, 0, `apply with Tailscale exited ${joined.code}:\n${joined.stderr}`);
        assert.match(
          joined.stderr,
          /tailscale: SSH answers on the tailnet as apply\.firstboot-test\.ts\.net; it stays public until a login through that name works/,
        );
        assert.match(
          joined.stderr,
          /logging in through the tailnet as admin@apply\.firstboot-test\.ts\.net \(port 2222\)/,
        );
        assert.match(joined.stderr, /tailscale: SSH goes through the tailnet only: apply\.firstboot-test\.ts\.net/);
        assert.match(joined.stderr, /tailscale +changed/);
        assert.match(
          joined.stderr,
          new RegExp(`wrote Host ${HOST} to .*: HostName ${tailnetName.replaceAll('.', '\\.')}`),
        );
        assert.not.ok((joined.stdout + joined.stderr).includes(authKey), 'the CLI printed the auth key');
        const viaTailnet: Expect = { ...e, tailnet: true };
        // through the Host block, the tailnet name and its host key: the whole check, Tailscale's included
        const checked = await cli(['apply', '--check', HOST, ...common]);
        assert.is(
          checked.code,
          0,
          `apply --check through the tailnet exited ${checked.code}:\n${checked.stdout}${checked.stderr}`,
        );
        assert.match(checked.stdout, /^tailscale +ok$/m);
        // public SSH is closed: no banner on the public forward (a fresh connection, not the shared one)
        const publicLogin = await vm.ssh('admin', 'true', { port: 2222, key: key.private, timeoutMs: 30_000 });
        assert.is.not(publicLogin.code, 0, 'SSH still answers publicly');
        const rules = await sudo(vm, viaTailnet, 'ufw status');
        assert.match(rules, /^2222\/tcp on tailscale0 +ALLOW +Anywhere/m);
        assert.not.match(rules, /^2222\/tcp +LIMIT/m);
        // the proof is the tailnet login itself: its server end is the guest's tailnet address
        assert.match(
          await sudo(vm, viaTailnet, 'cat /var/lib/firstboot/tailnet-login'),
          new RegExp(` ${TAILNET.address.replaceAll('.', '\\.')} 2222\n?$`),
        );
        const leaks = await sudo(
          vm,
          viaTailnet,
          `sh -c 'grep -rlF -f /var/lib/firstboot/secrets/tailscale /var/log/firstboot.log ` +
            `/var/lib/firstboot/status.json /var/lib/tailscale /etc; journalctl -o cat | ` +
            `grep -cF -f /var/lib/firstboot/secrets/tailscale; true'`,
        );
        assert.is(leaks.trim(), '0', `the auth key is outside its file: ${leaks}`);

        await checkWrongRepository(vm, viaTailnet);
      },
    );
    smtp.close();
  },
);

test.run();
