import * as assert from 'uvu/assert';
import { Fail } from '../contract/fail';

/** uvu has no assert.rejects: the promise must fail with a message matching pattern. */
export async function rejects(run: () => Promise<unknown>, pattern: RegExp): Promise<Error> {
  try {
    await run();
  } catch (err) {
    assert.match((err as Error).message, pattern);
    return err as Error;
  }
  throw new assert.Assertion({
    message: `expected a rejection matching ${pattern}`,
    operator: 'rejects',
    expects: pattern,
    actual: 'resolved',
  });
}

/** The promise must fail with an error of this class; returns it for further checks. */
export async function rejection<T extends Error>(
  promise: Promise<unknown>,
  type: new (...args: any[]) => T,
): Promise<T> {
  try {
    await promise;
  } catch (error) {
    assert.instance(error, type);
    return error as T;
  }
  throw new assert.Assertion({
    message: `expected a ${type.name}`,
    operator: 'rejection',
    expects: type.name,
    actual: 'resolved',
  });
}

/** A failure of the input (a name, a file, an argument): firstboot's own, exit code 2. */
export function assertInputFail(error: unknown, message?: string): asserts error is Fail {
  assert.instance(error, Fail, message);
  assert.is((error as Fail).exitCode, 2, message ?? `exit code of: ${(error as Fail).message}`);
}
