// The secrets a config names (`secret:NAME` in the fields the schema marks), with where: the CLI asks
// for exactly these, and refuses any other name it is given.
import { leaves } from './dsl';
import { schema, type Config } from './schema';

export interface SecretUse {
  name: string;
  /** the option that names it, e.g. "admin.password" */
  option: string;
}

const secretOptions = leaves(schema).filter((leaf) => leaf.field.secret).map((leaf) => leaf.name);

export function secretsOf(config: Config): SecretUse[] {
  return secretOptions.flatMap((option) => {
    const name = option.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], config);
    return typeof name === 'string' ? [{ name, option }] : [];
  });
}

/** What a value must be for the option that names it; undefined when it will do. Never quotes the value. */
export function secretProblem(use: SecretUse, value: string): string | undefined {
  if (value === '') return `secret ${use.name} is empty`;
  if (use.option === 'admin.password') {
    if ([...value].length < 12) return `secret ${use.name} is the admin's console password (${use.option}): at least 12 characters, got ${[...value].length}`;
    if (/[\x00-\x1f\x7f]/.test(value)) return `secret ${use.name} is the admin's console password (${use.option}): no line breaks or other control characters`;
  }
  return undefined;
}
