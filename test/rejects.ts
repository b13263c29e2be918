import * as assert from 'uvu/assert';

/** uvu has no assert.rejects: the promise must fail with a message matching pattern. */
export async function rejects(run: () => Promise<unknown>, pattern: RegExp): Promise<Error> {
  try {
    await run();
  } catch (err) {
    assert.match((err as Error).message, pattern);
    return err as Error;
  }
  throw new assert.Assertion({ message: `expected a rejection matching ${pattern}`, operator: 'rejects', expects: pattern, actual: 'resolved' });
}
