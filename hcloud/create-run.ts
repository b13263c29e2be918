// `create --wait`, after provisioning: the first boot's run followed to its end (apply/first-boot.ts), the
// host key the user-data carried replaced, the payload run again where secrets or steps wait, and the
// edge firewall closed where the run made that safe.
import type { Status } from '../contract/status';
import { followBoot, runAgain, trustOwnHostKey, type Boot, type Server } from '../apply/first-boot';
import { sshRunner } from '../ssh/run';
import { writeHostBlock } from '../ssh/config';
import type { CreateOptions, Made } from './create';
import { mirrorUfwRules, tailnetOnly } from './firewall-rules';

/** From a created server to a hardened one; the payload's result. */
export async function waitUntilHardened(made: Made, options: CreateOptions): Promise<Status> {
  if (!made.server.public_net.ipv4) throw new Error('waiting needs an IPv4 address to reach the server');
  const server: Server = { ...made, run: options.runRemote ?? sshRunner(made.target), sleep: options.sleep };
  const boot = await followBoot(server, options.waitTimeoutMs);
  await trustOwnHostKey(server, boot.login);
  const end = await runAgain(server, boot, options);
  if (end.tailnet) {
    // apply trusted the host key under this name too
    await writeHostBlock(made.sshConfigPath, {
      name: made.name,
      hostName: end.tailnet,
      user: made.admin,
      port: made.sshPort,
    });
    made.report(
      `SSH goes through the tailnet only: Host ${made.name} in ${made.sshConfigPath} now leads to ${end.tailnet}`,
    );
  }
  await closeEdge(made, boot, end);
  return end.status;
}

/**
 * The edge firewall's port 22 (sshd moved) or public SSH (the tailnet carries it) closed, once the run
 * proved it safe.
 */
async function closeEdge(made: Made, boot: Boot, end: { status: Status; tailnet?: string }): Promise<void> {
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
