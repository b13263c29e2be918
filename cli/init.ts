// `firstboot init`: a commented starter firstboot.yaml in the current folder, with the user's own
// ed25519 key, or a dedicated key pair made on the spot (ssh-keygen asks for its passphrase itself).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { writeFileSafely } from '../ssh/local-file';
import { type Command } from './command';
import { PRESETS } from './presets';
import { closest } from '../generator/did-you-mean';
import { Fail } from '../contract/fail';

export const CONFIG_FILE = 'firstboot.yaml';
const SCHEMA = new URL('../firstboot.schema.json', import.meta.url).pathname;

const starter = (key: string, preset: string) => `# yaml-language-server: $schema=${SCHEMA}
#
# firstboot's config (preset ${preset}). Every option has a safe default; firstboot validate checks this
# file and says how much of Hetzner's user-data limit it takes. The README's "Configuration reference"
# has them all.

${PRESETS[preset].text(key)}`;

/** The user's ed25519 public key, as a path the config reads when user-data is generated. */
function ownKey(home: string): string | undefined {
  return ['id_ed25519.pub', 'id_firstboot.pub'].map((name) => join(home, '.ssh', name)).find(existsSync);
}

async function makeKey(home: string): Promise<string> {
  const file = join(home, '.ssh', 'id_firstboot');
  const made = spawnSync('ssh-keygen', ['-t', 'ed25519', '-C', 'firstboot', '-f', file], { stdio: 'inherit' });
  if (made.status !== 0) throw new Fail('ssh-keygen did not make the key; nothing was written', 2, { usage: true });
  return `${file}.pub`;
}

export const init: Command = {
  summary: 'write a starter firstboot.yaml here, with your SSH key',
  usage: `firstboot init [--preset NAME]
Writes ./${CONFIG_FILE} (never over an existing one) naming ~/.ssh/id_ed25519.pub; without such a
key, on a terminal, it offers to make ~/.ssh/id_firstboot. The other commands read ./${CONFIG_FILE}
when -c is not given.
      --preset NAME    the shape to start from:
${Object.entries(PRESETS)
  .map(([name, p]) => `                         ${name.padEnd(10)} ${p.summary}`)
  .join('\n')}`,
  options: { preset: { type: 'string' } },
  async run(values, positionals) {
    if (positionals.length) throw new Fail(`unexpected argument "${positionals[0]}"`, 2, { usage: true });
    const preset: string = values.preset ?? 'plain';
    if (!Object.hasOwn(PRESETS, preset)) {
      const near = closest(preset, Object.keys(PRESETS));
      throw new Fail(
        `--preset takes ${Object.keys(PRESETS).join(' or ')}, got "${preset}"` +
          (near ? `; did you mean "${near}"?` : ''),
        2,
        { usage: true },
      );
    }
    if (existsSync(CONFIG_FILE))
      throw new Fail(`./${CONFIG_FILE} already exists; edit it, or remove it first`, 2, { usage: true });
    const home = homedir();
    let key = ownKey(home);
    if (!key) {
      if (!process.stdin.isTTY)
        throw new Fail(
          'no ed25519 key in ~/.ssh: make one with ssh-keygen -t ed25519, or run firstboot init on a terminal',
          2,
          { usage: true },
        );
      const prompt = createInterface({ input: process.stdin, output: process.stderr });
      const answer = await prompt.question(
        'No ed25519 key in ~/.ssh. Make ~/.ssh/id_firstboot for firstboot servers now? [Y/n] ',
      );
      prompt.close();
      if (/^n/i.test(answer.trim()))
        throw new Fail('no key: make one with ssh-keygen -t ed25519, then run firstboot init again', 2, {
          usage: true,
        });
      key = await makeKey(home);
    }
    const shown = key.startsWith(home) ? `~${key.slice(home.length)}` : key;
    await writeFileSafely(CONFIG_FILE, starter(shown, preset), { mode: 0o644 });
    console.error(
      `wrote ./${CONFIG_FILE} with the key ${shown}; ` +
        `next: firstboot validate, then firstboot generate --out user-data.yaml`,
    );
    return 0;
  },
};
