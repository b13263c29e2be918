// firstboot apply: the hardening run over SSH on a server that already exists (apply/).
import {
  CONFIG_HELP,
  CONFIG_OPTIONS,
  FORMAT_HELP,
  FORMAT_OPTION,
  REGISTRY_HELP,
  REGISTRY_OPTION,
  registryOf,
  wantsJson,
  type Command,
} from './command';
import { driftLine } from '../contract/status';
import { statusText } from './hcloud-output';
import { gatherSecrets, SECRET_HELP } from './secrets';
import { configAndPlan } from '../generator/generate';
import { secretsOf } from '../generator/config/secrets';
import { applyPlan, checkPlan } from '../apply/apply';
import { sshRunner, type Login } from '../ssh/run';
import { parseTarget, resolveTarget, type Target } from '../ssh/target';
import { defaultSshConfig, ownSettings, writeHostBlock } from '../ssh/config';
import { Fail } from '../contract/fail';

const report = (message: string) => console.error(message);

export const apply: Command = {
  summary: 'harden a server that already runs, over SSH (or --check what differs)',
  usage:
    `firstboot apply [USER@]HOST[:PORT] [-c FILE] [--ssh-key PATH]... ` +
    `[--secret NAME=@FILE]... [--registry URL] [-o json]
       firstboot apply --check [USER@]HOST[:PORT] [-c FILE] [-o json]
  HOST                 an address, a name, or a Host alias of your ~/.ssh/config; ssh logs in as
                       it always does (your config, agent and known_hosts), as root or through sudo
      --check          only check: print what differs from the config, change nothing
                       (exit 0 when the server matches, 1 when it does not)
${CONFIG_HELP}
${SECRET_HELP}
${REGISTRY_HELP}
${FORMAT_HELP}
The run goes on on the server if the connection drops; apply follows it, on the new SSH port and as
the admin when the run moves them, and then updates (or tells you how to update) your Host block.`,
  options: {
    ...CONFIG_OPTIONS,
    ...REGISTRY_OPTION,
    ...FORMAT_OPTION,
    secret: { type: 'string', multiple: true },
    check: { type: 'boolean' },
  },
  async run(values, [host, ...extra]) {
    if (!host) throw new Fail('apply needs the server: [USER@]HOST[:PORT]', 2, { usage: true });
    if (extra.length) throw new Fail(`unexpected argument "${extra[0]}"`, 2, { usage: true });
    if (values.check && values.secret) throw new Fail('--check sends nothing: leave out --secret', 2, { usage: true });
    const json = wantsJson(values);
    parseTarget(host);
    const { config, plan } = await configAndPlan({
      config: values.config,
      sshKeys: values['ssh-key'],
      registry: registryOf(values),
    });
    const secrets = values.check
      ? new Map<string, string>()
      : await gatherSecrets(values.secret ?? [], secretsOf(config));
    const target = await resolveTarget(host);
    const run = sshRunner(target);

    if (values.check) {
      const drift = await checkPlan({ target, plan, run });
      if (json) console.log(JSON.stringify(drift, null, 2));
      else if (drift.reason) console.log(drift.reason);
      else for (const s of drift.steps!) console.log(driftLine(s));
      for (const warning of (json ? [] : drift.warnings) ?? []) console.log(warning);
      return drift.ok ? 0 : 1;
    }

    const result = await applyPlan({ target, plan, secrets, run, report, print: (line) => console.error(`  ${line}`) });
    await updateHostBlock(target, result.login, result.tailnet);
    if (json) console.log(JSON.stringify(result, null, 2));
    else console.log(statusText(result.status));
    return result.status.ok ? 0 : 1;
  },
};

/** After a run that moved sshd, shut root out or left SSH to the tailnet only, `ssh HOST` goes where it now works. */
async function updateHostBlock(target: Target, login: Login, tailnet?: string): Promise<void> {
  const moved = tailnet !== undefined && tailnet !== target.hostname;
  if (login.user === target.user && login.port === target.port && !moved) return;
  const path = defaultSshConfig();
  const own = await ownSettings(path, target.name);
  const fix = [
    moved && `HostName ${tailnet}`,
    login.port !== target.port && `Port ${login.port}`,
    login.user !== target.user && `User ${login.user}`,
  ]
    .filter(Boolean)
    .join(' and ');
  if (own.port !== undefined || own.user !== undefined || (moved && own.hostname !== undefined)) {
    const set = [own.hostname && moved && 'host name', own.port && 'port', own.user && 'user']
      .filter(Boolean)
      .join(' and ');
    return report(
      `sshd now takes ${login.user} on ` +
        `port ${login.port}${moved ? ` through the tailnet only (${tailnet})` : ''}: your ${path} ` +
        `sets ${target.name}'s ${set}; change it to ${fix}`,
    );
  }
  await writeHostBlock(path, {
    name: target.name,
    hostName: moved ? tailnet : (own.hostname ?? target.hostname),
    user: login.user,
    port: login.port,
  });
  report(`wrote Host ${target.name} to ${path}: ${fix}`);
}
