// A suite whose before hook throws: scripts/uvu.ts must fail on it (test/house.test.ts runs it).
import { test } from 'uvu';

test.before(() => {
  throw new Error('the fake server did not start');
});
test('never runs', () => {});
test.run();
