// uvu with one more rule: every test it counted passed. uvu 0.5.6 counts the tests of a suite whose
// `before` hook threw as neither passed nor failed, prints no error and exits 0, so a suite whose fake
// server never started would pass CI unseen. Same arguments as uvu; its output passes through.
import { spawn } from 'node:child_process';

const uvu = spawn('uvu', process.argv.slice(2), { stdio: ['inherit', 'pipe', 'inherit'] });
let tail = '';
uvu.stdout.on('data', (chunk: Buffer) => {
  process.stdout.write(chunk);
  tail = (tail + chunk.toString()).slice(-4000);
});
uvu.on('close', (code) => {
  // the summary's figures, with or without the colours around them
  const figure = (name: string) => Number(new RegExp(`${name}:\\s+(?:\\x1b\\[\\d+m)?(\\d+)`).exec(tail)?.[1]);
  const [total, passed] = [figure('Total'), figure('Passed')];
  if (code === 0 && passed !== total) {
    console.error(`uvu: ${total - passed} of ${total} tests did not run: a before hook failed (its suite shows 0 / N)`);
    process.exit(1);
  }
  process.exit(code ?? 1);
});
