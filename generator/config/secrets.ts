// The secrets a config names (`secret:NAME` in the fields the schema marks), with where: the CLI asks
// for exactly these, and refuses any other name it is given.
import { leaves } from './dsl';
import { schema, type Config } from './schema';

export interface SecretUse {
  name: string;
  /** the option that names it, e.g. "admin.password" */
  option: string;
}

const secretOptions = leaves(schema)
  .filter((leaf) => leaf.field.secret)
  .map((leaf) => leaf.name);

export function secretsOf(config: Config): SecretUse[] {
  return secretOptions.flatMap((option) => {
    const name = option
      .split('.')
      .reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], config);
    return typeof name === 'string' ? [{ name, option }] : [];
  });
}

// what a value must be: the CLI checks it before sending, the payload again before using it
export { secretProblem } from '../../contract/secrets';
