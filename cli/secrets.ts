// The values of the secrets a config names, from --secret NAME=@FILE, --secret NAME=env:VAR, or a
// prompt that does not echo. Never from the command line itself: every process on this machine can
// read it, and the shell keeps it in its history.
import { readFile } from 'node:fs/promises';
import { osReason } from '../generator/config/load';
import { secretProblem, type SecretUse } from '../generator/config/secrets';
import { promptHidden } from './terminal';
import { Fail } from '../contract/fail';

export const SECRET_HELP = `      --secret NAME=@FILE | NAME=env:VAR
                       the value of a secret the config names (secret:NAME); on a terminal,
                       a secret not given is asked for without echo (repeatable)`;

export interface SecretSources {
  env?: NodeJS.ProcessEnv;
  /** asks without echo; undefined when there is no terminal */
  prompt?: (question: string) => Promise<string | undefined>;
}

/** name -> value for every secret the config names; the given ones checked, the rest asked for. */
export async function gatherSecrets(
  given: string[],
  uses: SecretUse[],
  sources: SecretSources = {},
): Promise<Map<string, string>> {
  const env = sources.env ?? process.env;
  const known = [...new Set(uses.map((u) => u.name))];
  const values = new Map<string, string>();
  for (const arg of given) {
    const [, name, source] = /^([^=]*)=(.*)$/s.exec(arg) ?? [, arg, undefined];
    const names = known.length ? `the config names ${known.join(', ')}` : 'the config names none';
    // no "=" and no name the config knows: likely the value itself, which no message repeats
    if (source === undefined && !known.includes(name))
      throw new Fail(
        `--secret takes NAME=@FILE or NAME=env:VAR (${names}); what was given is not shown, since it may ` +
          `be the secret itself`,
        2,
      );
    if (!known.includes(name)) {
      throw new Fail(
        `--secret ${name}: the config names no secret "${name}" ` +
          `(${known.length ? `it names ${known.join(', ')}` : 'it names none'})`,
        2,
      );
    }
    if (values.has(name)) throw new Fail(`--secret ${name} is given twice`, 2);
    values.set(name, await valueOf(name, source, env));
  }
  for (const name of known.filter((n) => !values.has(n))) {
    const where = uses
      .filter((u) => u.name === name)
      .map((u) => u.option)
      .join(', ');
    const asked = await (sources.prompt ?? promptHidden)(`secret ${name} for ${where} (input hidden): `);
    if (asked === undefined) {
      throw new Fail(
        `the config names secret ${name} (${where}) and it is not given: --secret ${name}=@FILE or ` +
          `--secret ${name}=env:VAR, or run on a terminal to be asked for it`,
        2,
      );
    }
    values.set(name, asked);
  }
  for (const use of uses) {
    const problem = secretProblem(use, values.get(use.name)!);
    if (problem) throw new Fail(problem, 2);
  }
  return values;
}

async function valueOf(name: string, source: string | undefined, env: NodeJS.ProcessEnv): Promise<string> {
  if (source?.startsWith('@')) {
    const file = source.slice(1);
    const text = await readFile(file, 'utf8').catch((err) => {
      throw new Fail(`--secret ${name}=@${file}: ${osReason(err)}`, 2);
    });
    // the line break an editor or `echo` puts at the end is not part of the value
    return text.replace(/\r?\n$/, '');
  }
  if (source?.startsWith('env:')) {
    const variable = source.slice(4);
    const value = env[variable];
    if (value === undefined) throw new Fail(`--secret ${name}=env:${variable}: ${variable} is not set`, 2);
    return value;
  }
  throw new Fail(
    `--secret ${name} takes @FILE or env:VAR` +
      (source === undefined
        ? ''
        : ', not the value itself: every process on this machine could read it, ' +
          'and your shell keeps it in its history'),
    2,
  );
}
