// A server's first boot, followed from outside, for `create --wait` and `firstboot wait`: the run
// cloud-init starts, followed to its end with apply's own follow loop; the host key the user-data
// carried replaced by the server's own; the payload run again over SSH where secrets or steps wait.
import { loginOf, type Plan } from '../contract/plan';
import { PIECES_PENDING, type Status } from '../contract/status';
import type { Payload } from '../generator/render';
import { replaceHostKey } from '../ssh/host-key';
import { distinctLogins, type Login, type RunRemote } from '../ssh/run';
import type { Target } from '../ssh/target';
import { Fail } from '../contract/fail';
import { applyPlan, followRun, reader, statusOf } from './apply';
import { asRoot } from './remote';

/** The server: its plan, and how ssh reaches it (the host key pinned). */
export interface Server {
  plan: Plan;
  target: Target;
  run: RunRemote;
  report: (message: string) => void;
  sleep?: (ms: number) => Promise<void>;
}

export interface Boot {
  status: Status;
  /** the login that works now the run is over */
  login: Login;
}

/**
 * The logins that follow the run, in order. sshd answers on 22 long before the payload has made the
 * admin, and every try as a user that does not exist yet is a failed login, which fail2ban reads back
 * from the journal when it starts and bans for; until then root has the project's SSH keys (Hetzner
 * puts them there). So root on 22 comes first; once the run has moved sshd and shut root out, the admin
 * on the plan's port; the admin on 22 when sshd did not move.
 */
export function bootLogins(plan: Plan): Login[] {
  const { admin, sshPort } = loginOf(plan);
  return distinctLogins([
    { user: 'root', port: 22 },
    { user: admin, port: sshPort },
    { user: admin, port: 22 },
  ]);
}

/** The logins for a server whose first boot has been seen to its end: the admin first. */
export function endLogins(plan: Plan): Login[] {
  const { admin, sshPort } = loginOf(plan);
  return distinctLogins([
    { user: admin, port: sshPort },
    { user: admin, port: 22 },
    { user: 'root', port: 22 },
  ]);
}

/**
 * Follows the run cloud-init starts (or the one that ended) to its end, its log printed as it comes,
 * logging in with the first of `logins` that answers.
 */
export async function followBoot(
  server: Server,
  timeoutMs = 20 * 60_000,
  logins = bootLogins(server.plan),
): Promise<Boot> {
  server.report(`following the first boot's run on ${server.target.name}`);
  const read = reader((line) => server.report(`  ${line}`));
  const now = Date.now;
  const deadline = now() + timeoutMs;
  await followRun({ ...server, now }, read, logins, deadline);
  return { status: statusOf(read.state), login: await loginAfter(server) };
}

/**
 * The login that works now the run is over: the admin on the plan's port when sshd moved, else on 22,
 * else root (the run failed before it made the admin). The follow session does not tell: sshd keeps the
 * session it had before the run moved it and shut root out.
 */
async function loginAfter({ plan, target, run }: Server): Promise<Login> {
  let last = '';
  for (const login of endLogins(plan)) {
    const result = await run(login, asRoot(login.user, 'true'));
    if (result.code === 0) return login;
    last = `${login.user}@${target.name} (port ${login.port}): ${result.stderr.trim() || `exit ${result.code}`}`;
  }
  throw new Fail(`the first boot's run ended, but no login works: ${last}`);
}

/** The server's own host key in known_hosts, in place of the one the user-data carried. */
export async function trustOwnHostKey(server: Server, login: Login): Promise<void> {
  await replaceHostKey(server.target, login, server.run);
  server.report(`replaced the host key the user-data carried; ${server.target.knownHosts} has the new one`);
}

/**
 * The secrets (if any) over the admin's login, which the replaced host key now authenticates, then the
 * run again: the steps that waited for them, or for this login's address (GeoIP lets the owner's in),
 * converge; the rest change nothing. Steps whose code was not fetched get it from this run, which
 * carries the whole payload.
 */
export async function runAgain(
  server: Server,
  boot: Boot,
  more: { secrets?: Map<string, string>; payload?: Payload },
): Promise<{ status: Status; tailnet?: string }> {
  const again =
    more.secrets?.size ||
    boot.status.steps.some(
      (st) => st.result === 'waiting' && (st.id === 'geoip' || st.error?.includes(PIECES_PENDING)),
    );
  if (!again || !boot.status.ok || boot.login.port !== loginOf(server.plan).sshPort) return { status: boot.status };
  const { status, tailnet } = await applyPlan({
    ...server,
    payload: more.payload,
    secrets: more.secrets ?? new Map(),
    print: (line) => server.report(`  ${line}`),
  });
  return { status, tailnet };
}
