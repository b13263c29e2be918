// Builds (or finds in the machine-wide cache, exec.ts) every image the scenarios boot, the two suites side by side, and
// the npm registry's seed beside them: on a cold cache this is
// most of the wait, and mmdebstrap mostly keeps one core busy.
import { test } from 'uvu';
import { since } from './exec';
import { buildImage } from './image';
import { buildRegistrySeed } from './npm';

test(
  'bookworm (plain and ssh.socket) and minimal trixie images build; ' +
    'the pinned npm packages are published into the registry seed',
  async () => {
    const start = performance.now();
    await Promise.all([
      buildImage({ suite: 'bookworm' }).then(() => buildImage({ suite: 'bookworm', sshSocket: true })),
      buildImage({ suite: 'trixie', minimal: true }),
      buildRegistrySeed(),
    ]);
    console.log(`# images ready in ${since(start)}`);
  },
);

test.run();
