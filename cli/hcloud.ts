// The Hetzner Cloud commands of the CLI: their options, and their results printed. Arguments are
// checked before the token is looked for; progress goes to stderr, results to stdout.
import { createInterface } from 'node:readline/promises';
import type { ParseArgsConfig } from 'node:util';
import {
  CONFIG_HELP,
  CONFIG_OPTIONS,
  FORMAT_HELP,
  FORMAT_OPTION,
  PIECES_HELP,
  PIECES_OPTION,
  piecesFromOf,
  REGISTRY_HELP,
  REGISTRY_OPTION,
  registryOf,
  wantsJson,
  type Command,
} from './command';
import { createdText, listText } from './hcloud-output';
import { gatherSecrets, SECRET_HELP } from './secrets';
import { configAndPlan } from '../generator/generate';
import { secretsOf } from '../generator/config/secrets';
import { buildImage, create, deleteServer, list, rescale } from '../hcloud/index';
import { connect } from './connect';
import { defaults } from '../hcloud/server-options';
import type { Labels } from '../hcloud/api/types';
import { Fail } from '../contract/fail';

const report = (message: string) => console.error(message);

const SERVER_OPTIONS = {
  ...CONFIG_OPTIONS,
  ...REGISTRY_OPTION,
  ...PIECES_OPTION,
  type: { type: 'string' },
  location: { type: 'string' },
  image: { type: 'string' },
  label: { type: 'string', multiple: true },
} as const satisfies ParseArgsConfig['options'];

const SERVER_HELP = `${CONFIG_HELP}
      --type TYPE      server type, checked against the API (default ${defaults.type})
      --location LOC   location (default ${defaults.location})
${REGISTRY_HELP}
${PIECES_HELP}`;
const LABEL_HELP = '      --label K=V      an extra label (repeatable)';

const ENV_HELP = `
The API token comes from HCLOUD_TOKEN, else the hcloud CLI's active context, else a hidden prompt;
HCLOUD_ENDPOINT sets another API address.`;

const print = (text: string) => process.stdout.write(text);
const printJson = (value: unknown) => print(JSON.stringify(value, null, 2) + '\n');

function onlyName(positionals: string[], what: string): string {
  const [name, ...extra] = positionals;
  if (!name) throw new Fail(`${what} needs the server's name`, 2, { usage: true });
  if (extra.length) throw new Fail(`unexpected argument "${extra[0]}"`, 2, { usage: true });
  return name;
}

function parseLabels(pairs: string[] = []): Labels {
  const labels: Labels = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at < 1) throw new Fail(`--label takes KEY=VALUE, got "${pair}"`, 2, { usage: true });
    labels[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return labels;
}

/** The user types the server's name, as in the Hetzner console: a plain y is too easy to give. */
async function typeNameToConfirm(server: { id: number; name: string; ipv4: string | undefined }): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await prompt.question(
      `delete server ${server.name} (id ${server.id}, ${server.ipv4 ?? 'no IPv4'})? type its name to confirm: `,
    );
    return answer.trim() === server.name;
  } finally {
    prompt.close();
  }
}

export const hcloudCommands: Record<string, Command> = {
  create: {
    summary: 'make a Hetzner Cloud server that hardens itself on its first boot',
    usage: `firstboot create NAME [-c FILE] [--ssh-key PATH]... [--type TYPE] [--location LOC] [--image IMAGE]
                        [--label K=V]... [--firewall] [--wait] [-o json]
${SERVER_HELP}
      --image IMAGE    system image name or image ID (default ${defaults.image}); an image made by
                       firstboot image from the same config boots with a small per-instance user-data
${LABEL_HELP}
      --firewall       also make a Hetzner Cloud Firewall that mirrors the ufw rules
      --wait           wait until SSH answers with the server's host key and the payload has finished
${SECRET_HELP.replace('the value of a secret', 'with --wait, the value of a secret')}
${FORMAT_HELP}
Writes a Host NAME block to ~/.ssh/config and the server's host key to ~/.ssh/known_hosts.${ENV_HELP}`,
    options: {
      ...SERVER_OPTIONS,
      ...FORMAT_OPTION,
      firewall: { type: 'boolean' },
      wait: { type: 'boolean' },
      secret: { type: 'string', multiple: true },
    },
    async run(values, positionals) {
      const name = onlyName(positionals, 'create');
      const json = wantsJson(values);
      const labels = parseLabels(values.label);
      if (values.secret && !values.wait)
        throw new Fail('--secret needs --wait: secrets travel only over SSH, after the first login', 2, {
          usage: true,
        });
      // every secret is in hand before the API is called
      const uses = secretsOf((await configAndPlan({ config: values.config, sshKeys: values['ssh-key'] })).config);
      const secrets = values.wait ? await gatherSecrets(values.secret ?? [], uses) : undefined;
      const result = await create({
        client: await connect({}, report),
        name,
        config: values.config,
        sshKeys: values['ssh-key'],
        registry: registryOf(values),
        piecesFrom: piecesFromOf(values),
        type: values.type,
        location: values.location,
        image: values.image,
        labels,
        firewall: values.firewall,
        wait: values.wait,
        secrets,
        report,
      });
      if (!values.wait && uses.length) {
        report(
          `the steps that need a secret wait for it; send them with: ` +
            `firstboot apply ${name} ${[...new Set(uses.map((u) => `--secret ${u.name}=@FILE`))].join(' ')}`,
        );
      }
      if (json) printJson(result);
      else print(createdText(result));
      return result.status?.ok === false ? 1 : 0;
    },
  },
  list: {
    summary: 'the servers firstboot made in this project',
    usage: `firstboot list [-o json]\n${FORMAT_HELP}${ENV_HELP}`,
    options: FORMAT_OPTION,
    async run(values, positionals) {
      if (positionals.length) throw new Fail(`unexpected argument "${positionals[0]}"`, 2, { usage: true });
      const json = wantsJson(values);
      const servers = await list({ client: await connect({}, report) });
      if (json) printJson(servers);
      else if (servers.length) print(listText(servers));
      else console.error('no servers made by firstboot in this project');
      return 0;
    },
  },
  delete: {
    summary: 'delete a server firstboot made, its firewall, ssh config block and known_hosts entry',
    usage: `firstboot delete NAME [--yes]
      --yes            do not ask (without a terminal to ask on, --yes is required)${ENV_HELP}`,
    options: { yes: { type: 'boolean' } },
    async run(values, positionals) {
      const name = onlyName(positionals, 'delete');
      if (!values.yes && !(process.stdin.isTTY && process.stderr.isTTY)) {
        throw new Fail('delete asks for the server name on a terminal; without one, pass --yes', 2, { usage: true });
      }
      const result = await deleteServer({
        client: await connect({}, report),
        name,
        yes: values.yes,
        confirm: typeNameToConfirm,
        report,
      });
      if (!result.deleted) return (console.error('the name did not match: nothing was deleted'), 1);
      print(`deleted ${name}\n`);
      return 0;
    },
  },
  rescale: {
    summary: 'move a server firstboot made to another server type (same architecture)',
    usage: `firstboot rescale NAME --type TYPE [--upgrade-disk]
      --type TYPE      the new server type; x86 <-> ARM is refused
      --upgrade-disk   grow the disk too (the server can then never go back to a smaller type)${ENV_HELP}`,
    options: { type: { type: 'string' }, 'upgrade-disk': { type: 'boolean' } },
    async run(values, positionals) {
      const name = onlyName(positionals, 'rescale');
      if (!values.type) throw new Fail('rescale needs --type', 2, { usage: true });
      const result = await rescale({
        client: await connect({}, report),
        name,
        type: values.type,
        upgradeDisk: values['upgrade-disk'],
        report,
      });
      print(`${name}: ${result.from} -> ${result.to}${result.running ? ', running again' : ', left off as it was'}\n`);
      return 0;
    },
  },
  image: {
    summary: 'build a golden snapshot from a config; prints the image ID',
    usage:
      `firstboot image --name NAME [-c FILE] [--ssh-key PATH]... [--type TYPE] [--location LOC] ` +
      `[--image IMAGE] [--label K=V]...
      --name NAME      the snapshot's description; the builder server is NAME-builder
${SERVER_HELP}
      --image IMAGE    the system image to build on (default ${defaults.image})
${LABEL_HELP}
A builder server runs the payload, clears its per-instance state and powers off; the snapshot is
taken through the API and the builder deleted. Use the image with firstboot create --image ID.${ENV_HELP}`,
    options: { ...SERVER_OPTIONS, name: { type: 'string' } },
    async run(values, positionals) {
      if (positionals.length) throw new Fail(`unexpected argument "${positionals[0]}"`, 2, { usage: true });
      if (!values.name) throw new Fail('image needs --name', 2, { usage: true });
      const labels = parseLabels(values.label);
      const result = await buildImage({
        client: await connect({}, report),
        name: values.name,
        config: values.config,
        sshKeys: values['ssh-key'],
        registry: registryOf(values),
        piecesFrom: piecesFromOf(values),
        type: values.type,
        location: values.location,
        image: values.image,
        labels,
        report,
      });
      report(
        `image ${result.imageId} (${result.description}): use it with firstboot create NAME --image ${result.imageId}`,
      );
      print(`${result.imageId}\n`);
      return 0;
    },
  },
};
