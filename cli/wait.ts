// firstboot wait: follows the first boot of a server made elsewhere from firstboot's user-data
// (apply/wait.ts), with its host key checked, and exits with the run's result.
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
import { statusText } from './hcloud-output';
import { gatherSecrets, SECRET_HELP } from './secrets';
import { configAndPlan } from '../generator/generate';
import { secretsOf } from '../generator/config/secrets';
import { aliasProblem } from '../ssh/known-hosts';
import { parseTarget } from '../ssh/target';
import { waitFor } from '../apply/wait';
import { Fail } from '../contract/fail';

const report = (message: string) => console.error(message);

export const wait: Command = {
  summary: 'follow the first boot of a server made from firstboot user-data elsewhere (hcloud, Terraform)',
  usage: `firstboot wait ADDRESS [--as NAME] [-c FILE] [--secret NAME=@FILE]... [--trust-first-key] [--registry URL]
                      [-o json]
  ADDRESS              the server's address (or a name DNS knows); wait logs in as the config's admin
                       on its SSH port, and as root on 22 while the run has not moved them
      --as NAME        the name generate --host-key pinned the host key under; the Host block
                       NAME is written to ~/.ssh/config (default: the key known_hosts has for ADDRESS)
      --trust-first-key
                       no key pinned: trust the ed25519 key the server answers with first, and
                       print its fingerprint
${CONFIG_HELP}
${SECRET_HELP}
${REGISTRY_HELP}
                       (a run for secrets or waiting steps sends its plan: name the registry generate did)
${FORMAT_HELP}
Prints the run's log as it comes and each step's result; exits 0 when the run succeeded, 1 when it
failed, 2 on bad input (nothing is tried). A server whose first boot has ended answers at once.`,
  options: {
    ...CONFIG_OPTIONS,
    ...FORMAT_OPTION,
    ...REGISTRY_OPTION,
    as: { type: 'string' },
    secret: { type: 'string', multiple: true },
    'trust-first-key': { type: 'boolean' },
  },
  async run(values, [address, ...extra]) {
    if (!address) throw new Fail('wait needs the server: its ADDRESS', 2, { usage: true });
    if (extra.length) throw new Fail(`unexpected argument "${extra[0]}"`, 2, { usage: true });
    const target = parseTarget(address);
    if (target.user || target.port)
      throw new Fail(
        `wait logs in as the config's admin on its SSH port: give the address alone, not "${address}"`,
        2,
        { usage: true },
      );
    const problem = values.as === undefined ? undefined : aliasProblem(values.as);
    if (problem) throw new Fail(`--as: ${problem}`, 2, { usage: true });
    const json = wantsJson(values);
    const { config, plan } = await waitPlan(values);
    const secrets = await gatherSecrets(values.secret ?? [], secretsOf(config));
    const result = await waitFor({
      address: target.name,
      as: values.as,
      plan,
      trustFirstKey: values['trust-first-key'],
      secrets,
      report,
    });
    const { hostBlock } = result;
    if (hostBlock.written) report(`wrote Host ${values.as} to ${hostBlock.path}`);
    else
      report(
        `no Host block written (${hostBlock.why}); for ssh by name, put this in ` +
          `${hostBlock.path}:\n${hostBlock.text.trimEnd()}`,
      );
    if (json) console.log(JSON.stringify(result, null, 2));
    else console.log(statusText(result.status));
    return result.status.ok ? 0 : 1;
  },
};

/**
 * The config and the plan a run for secrets or waiting steps sends: with the registry generate named
 * (--registry, else npm_config_registry), or the server's next run fetches from npm's own.
 */
export const waitPlan = (values: { config?: string; 'ssh-key'?: string[]; registry?: string }) =>
  configAndPlan({ config: values.config, sshKeys: values['ssh-key'], registry: registryOf(values) });
