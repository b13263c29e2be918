// firstboot generate: the user-data, to stdout or --out FILE. With --host-key NAME it carries a host key
// made here, whose public half goes into known_hosts under NAME first, so that the first login to a
// server made elsewhere (hcloud, Terraform, the console) is already trusted: `firstboot wait` takes it
// from there. With --for-image, the user-data a golden image is built from (Packer).
import {
  CONFIG_HELP,
  CONFIG_OPTIONS,
  emit,
  OUT_HELP,
  OUT_OPTION,
  PIECES_HELP,
  PIECES_OPTION,
  piecesFromOf,
  REGISTRY_HELP,
  REGISTRY_OPTION,
  registryOf,
  type Command,
} from './command';
import { generate as generateUserData } from '../generator/generate';
import { byteLength, USER_DATA_LIMIT } from '../generator/render';
import { nodeNeeded } from '../generator/capabilities/devtools';
import { firstbootLabels } from '../hcloud/labels';
import { CARRIED, makeHostKey } from '../ssh/host-key';
import { addKnownKey, aliasProblem, defaultKnownHosts, knownLines, restoreKnownLines } from '../ssh/known-hosts';
import { Fail } from '../contract/fail';

const report = (message: string) => console.error(message);

export const generate: Command = {
  summary: 'write cloud-init user-data that hardens a server on its first boot',
  usage: `firstboot generate [-c FILE] [--ssh-key PATH]... [--host-key NAME | --for-image] [--registry URL]
                          [--pieces-from npm|URL] [--out FILE]
${CONFIG_HELP}
      --host-key NAME  the user-data carries a host key made now, and ~/.ssh/known_hosts trusts it
                       under NAME (needs --out); after creating the server with this user-data,
                       firstboot wait ADDRESS --as NAME follows its first boot and replaces the key
      --for-image      user-data for a golden image's builder (Packer): it hardens, clears what
                       belongs to one server, and powers off; servers from the snapshot get theirs
                       from firstboot create --image
${REGISTRY_HELP}
${PIECES_HELP}
${OUT_HELP}`,
  options: {
    ...CONFIG_OPTIONS,
    ...REGISTRY_OPTION,
    ...PIECES_OPTION,
    ...OUT_OPTION,
    'host-key': { type: 'string' },
    'for-image': { type: 'boolean' },
  },
  async run(values, positionals) {
    if (positionals.length) throw new Fail(`unexpected argument "${positionals[0]}"`, 2, { usage: true });
    const name: string | undefined = values['host-key'];
    if (name !== undefined) checkHostKeyName(name, values);
    const hostKey = name === undefined ? undefined : await makeHostKey(`firstboot host key for ${name}`);
    const out = await generateUserData({
      config: values.config,
      sshKeys: values['ssh-key'],
      registry: registryOf(values),
      piecesFrom: piecesFromOf(values),
      hostKey,
      ...(values['for-image'] && { mode: 'image' as const }),
    });
    const write = () => emit(out.userData, values.out, values.config);
    if (name && hostKey) await withPinnedKey(name, hostKey.public, write);
    else await write();
    const needs = nodeNeeded(out.plan);
    if (needs) report(`note: ${needs}`);
    if (values.out && values.out !== '-') {
      const bytes = byteLength(out.userData);
      report(
        `wrote ${values.out}: ${bytes.toLocaleString('en-US')} bytes, ` +
          `${(USER_DATA_LIMIT - bytes).toLocaleString('en-US')} left ` +
          `of Hetzner's ${USER_DATA_LIMIT.toLocaleString('en-US')}`,
      );
    }
    if (values['for-image']) {
      const labels = Object.entries(firstbootLabels(out.plan.firstboot, out.configHash));
      report(
        `give the snapshot these labels (Packer: snapshot_labels), so firstboot create --image knows its ` +
          `config: ${labels.map(([k, v]) => `${k}=${v}`).join(' ')}`,
      );
    }
    if (name) report(`once the server runs: firstboot wait ADDRESS --as ${name}`);
    return 0;
  },
};

function checkHostKeyName(name: string, values: Record<string, unknown>): void {
  const problem = aliasProblem(name);
  if (problem) throw new Fail(`--host-key: ${problem}`, 2, { usage: true });
  if (values['for-image'])
    throw new Fail(
      '--host-key and --for-image do not go together: the image is cleared of its host keys, and each ' +
        'server from it gets its own from firstboot create --image',
      2,
      { usage: true },
    );
  if (!values.out || values.out === '-')
    throw new Fail(
      "--host-key puts the server's private host key in the user-data: write it with --out FILE " +
        '(a new file is made 0600), not to stdout',
      2,
      { usage: true },
    );
}

/** The key in known_hosts under `name`, then `write`; if that fails, known_hosts as it was. */
async function withPinnedKey(name: string, publicKey: string, write: () => Promise<void>): Promise<void> {
  const knownHosts = defaultKnownHosts();
  const before = await knownLines(knownHosts, name);
  await addKnownKey(knownHosts, name, publicKey, { comment: CARRIED });
  try {
    await write();
  } catch (error) {
    await restoreKnownLines(knownHosts, name, before);
    throw error;
  }
  report(
    `trusted its host key in ${knownHosts} as ${name}` +
      (before.length ? `, in place of the key it had for ${name}` : ''),
  );
}
