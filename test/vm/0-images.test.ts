// Builds (or finds in the machine-wide cache, exec.ts) every image the scenarios boot, the two suites side by side: on a
// cold cache this is most of the wait, and mmdebstrap mostly keeps one core busy.
import { test } from 'uvu';
import { since } from './exec';
import { buildImage } from './image';

test('bookworm (plain and ssh.socket) and minimal trixie images build', async () => {
  const start = performance.now();
  await Promise.all([
    buildImage({ suite: 'bookworm' }).then(() => buildImage({ suite: 'bookworm', sshSocket: true })),
    buildImage({ suite: 'trixie', minimal: true }),
  ]);
  console.log(`# images ready in ${since(start)}`);
});

test.run();
