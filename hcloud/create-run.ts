// `create --wait`, after provisioning: the payload's boot run followed to its end with apply's own follow
// loop, the host key the user-data carried replaced by the server's own, the payload run again over
// SSH where secrets or steps wait for it, and the edge firewall closed where the run made that safe.
import { applyPlan, followRun, reader, statusOf } from '../apply/apply';
import { asRoot } from '../apply/remote';
import { Fail } from '../contract/fail';
import { PIECES_PENDING, type Status } from '../contract/status';
import { replaceHostKey } from '../ssh/host-key';
import { distinctLogins, sshRunner, type Login, type RunRemote } from '../ssh/run';
import { writeHostBlock } from '../ssh/config';
import type { CreateOptions, Made } from './create';
import { mirrorUfwRules, tailnetOnly } from './firewall-rules';

const runner = (made: Made, options: CreateOptions) => options.runRemote ?? sshRunner(made.target);

/**
 * Follows the run cloud-init starts. sshd answers on 22 long before the payload has made the admin, and
 * every try as a user that does not exist yet is a failed login, which fail2ban reads back from the
 * journal when it starts and bans for; until then root has the project's SSH keys (Hetzner puts them
 * there). So root on 22 comes first; once the run has moved sshd and shut root out, the admin on the
 * plan's port; the admin on 22 when sshd did not move.
 */
export async function followBoot(made: Made, options: CreateOptions): Promise<{ status: Status; login: Login }> {
  const { admin, sshPort } = made;
  const logins = distinctLogins([
    { user: 'root', port: 22 },
    { user: admin, port: sshPort },
    { user: admin, port: 22 },
  ]);
  made.report(`following the first boot's run on ${made.target.name}`);
  const read = reader((line) => made.report(`  ${line}`));
  const now = Date.now;
  const deadline = now() + (options.waitTimeoutMs ?? 20 * 60_000);
  const run = runner(made, options);
  await followRun({ target: made.target, run, report: made.report, sleep: options.sleep, now }, read, logins, deadline);
  return { status: statusOf(read.state), login: await loginAfter(made, run) };
}

/**
 * The login that works now the run is over: the admin on the plan's port when sshd moved, else on 22,
 * else root (the run failed before it made the admin). The follow session does not tell: sshd keeps the
 * session it had before the run moved it and shut root out.
 */
async function loginAfter(made: Made, run: RunRemote): Promise<Login> {
  const tries = distinctLogins([
    { user: made.admin, port: made.sshPort },
    { user: made.admin, port: 22 },
    { user: 'root', port: 22 },
  ]);
  let last = '';
  for (const login of tries) {
    const result = await run(login, asRoot(login.user, 'true'));
    if (result.code === 0) return login;
    last = `${login.user}@${made.target.name} (port ${login.port}): ${result.stderr.trim() || `exit ${result.code}`}`;
  }
  throw new Fail(`the first boot's run ended, but no login works: ${last}`);
}

/** The server's own host key in known_hosts, in place of the one the user-data carried. */
export async function trustOwnHostKey(made: Made, login: Login, options: CreateOptions): Promise<void> {
  await replaceHostKey(made.target, login, runner(made, options));
  made.report(`replaced the host key the user-data carried; ${made.knownHostsPath} has the new one`);
}

/**
 * The secrets (if any) over the admin's login, which the replaced host key now authenticates, then the
 * run again: the steps that waited for them, or for this login's address (GeoIP lets the owner's in),
 * converge; the rest change nothing. Steps whose code was not fetched get it from this run, which
 * carries the whole payload.
 */
export async function runAgain(
  made: Made,
  boot: { status: Status; login: Login },
  options: CreateOptions,
): Promise<{ status: Status; tailnet?: string }> {
  const again =
    options.secrets?.size ||
    boot.status.steps.some(
      (st) => st.result === 'waiting' && (st.id === 'geoip' || st.error?.includes(PIECES_PENDING)),
    );
  if (!again || !boot.status.ok || boot.login.port !== made.sshPort) return { status: boot.status };
  const { status, tailnet } = await applyPlan({
    target: made.target,
    plan: made.plan,
    payload: options.payload,
    secrets: options.secrets ?? new Map(),
    run: runner(made, options),
    report: made.report,
    print: (line) => made.report(`  ${line}`),
    sleep: options.sleep,
  });
  if (tailnet) {
    // apply trusted the host key under this name too
    await writeHostBlock(made.sshConfigPath, {
      name: made.name,
      hostName: tailnet,
      user: made.admin,
      port: made.sshPort,
    });
    made.report(
      `SSH goes through the tailnet only: Host ${made.name} in ${made.sshConfigPath} now leads to ${tailnet}`,
    );
  }
  return { status, tailnet };
}

/**
 * The edge firewall's port 22 (sshd moved) or public SSH (the tailnet carries it) closed, once the run
 * proved it safe.
 */
export async function closeEdge(
  made: Made,
  boot: { login: Login },
  end: { status: Status; tailnet?: string },
): Promise<void> {
  const { firewall, bridge, sshPort, report, client, plan } = made;
  const { status, tailnet } = end;
  const moved = tailnetOnly(plan).join(' and ');
  if (firewall && (bridge || tailnet)) {
    if (status.ok && boot.login.port === sshPort) {
      const actions = await client.firewalls.setRules(firewall.id, mirrorUfwRules(plan, !!tailnet));
      await Promise.all(actions.map((a) => client.waitForAction(a)));
      report(
        tailnet
          ? `closed ${moved} in firewall ${firewall.name}: they go through the tailnet`
          : `closed port 22 in firewall ${firewall.name}: sshd answers on ${sshPort}`,
      );
    } else
      report(
        `firewall ${firewall.name} keeps port 22 open: ` +
          (status.ok
            ? `sshd answered on 22, not on ${sshPort}`
            : 'the payload failed, and sshd may still listen there'),
      );
  }
  if (firewall && !tailnet && moved) {
    report(
      `firewall ${firewall.name} keeps ${moved} open until a login through the server's tailnet name has ` +
        `worked: create --wait with the auth key does it; after an apply that did, remove those rules`,
    );
  }
}
