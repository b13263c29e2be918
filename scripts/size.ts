// `npm run size`: where the user-data's bytes go. A benchmark that prints figures, not a test; the hard
// gate lives in the generator (render.ts).
import { gzipSync } from 'node:zlib';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPayload } from './build';
import { generate } from '../generator/generate';
import { sizeReport, USER_DATA_LIMIT } from '../generator/render';

const TARGET = 16_384;
const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`.padStart(9);

const result = await buildPayload();
const output = Object.values(result.metafile!.outputs)[0];
const groups = new Map<string, number>();
for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
  const group = input.match(/node_modules\/(zx\/build\/[\w-]+|[\w@.-]+)/)?.[1] ?? input.split('/').slice(0, 2).join('/');
  groups.set(group, (groups.get(group) ?? 0) + bytesInOutput);
}
const bundle = readFileSync('dist/payload.cjs');
const gz = gzipSync(bundle, { level: 9 }).length;

console.log(`payload bundle (dist/payload.cjs)`);
console.log(`  minified               ${kb(bundle.length)}`);
console.log(`  gzip -9 (for scale)    ${kb(gz)}   (in base64 ${kb(Math.ceil(gz / 3) * 4)}; shipped as brotli in base85, below)`);
console.log(`  by input (minified):`);
for (const [group, bytes] of [...groups].sort((a, b) => b[1] - a[1])) console.log(`    ${group.padEnd(28)} ${kb(bytes)}`);

const out = await generate({ sshKeys: ['examples/demo_ed25519.pub'] });
console.log(`\nuser-data for the built-in defaults (every capability on) with the demo key`);
console.log(sizeReport(out.parts, out.userData.length));
console.log(`  target ${TARGET}: ${out.userData.length <= TARGET ? 'met' : `${out.userData.length - TARGET} over`}; limit ${USER_DATA_LIMIT}: ${USER_DATA_LIMIT - out.userData.length} left`);

// the floor: a payload that only runs one command through zx's `$`, packed the same way
const dir = mkdtempSync(join(tmpdir(), 'firstboot-size-'));
writeFileSync(join(dir, 'floor.ts'), `import { zxShell } from ${JSON.stringify(new URL('../payload/lib/shell.ts', import.meta.url).pathname)};\nvoid zxShell()\`true\`;\n`);
await buildPayload(join(dir, 'floor.cjs'), join(dir, 'floor.ts'));
const floor = await generate({ sshKeys: ['examples/demo_ed25519.pub'], payload: readFileSync(join(dir, 'floor.cjs'), 'utf8') });
const floorPayload = floor.parts.find((p) => p.name === 'payload')!.bytes;
console.log(`\nzx's \`$\` alone, packed the same way: ${floorPayload} characters of payload (${floor.userData.length} of user-data with the same plan)`);
