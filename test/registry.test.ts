// test/registry.ts: a real Verdaccio, fed by the real `npm publish`, read by the payload's own fetcher.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pkg from '../package.json' with { type: 'json' };
import { fetchPackages, sri, tarballUrl } from '../payload/lib/npm';
import { readTar } from '../payload/lib/tar';
import { pack, packCheckout, startRegistry, withRegistry } from './registry';

/** a package folder of the test's own */
function folder(name: string, version: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'firstboot-registry-test-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version }));
  writeFileSync(join(dir, 'hello.txt'), text);
  return dir;
}

/** every file under `dir` with its content */
const contents = (dir: string) => Object.fromEntries(readdirSync(dir, { recursive: true, withFileTypes: true })
  .filter((e) => e.isFile()).map((e) => [join(e.parentPath, e.name), readFileSync(join(e.parentPath, e.name), 'utf8')]));

test('a published tarball is served byte for byte, and the payload fetches it by its pin; nothing comes from elsewhere', async () => {
  // packed by npm as a release would be, then published as that file
  const tgz = await pack(folder('@firstboot-test/hello', '1.2.3', 'hello\n'));
  await withRegistry({}, async (registry) => {
    const pin = await registry.publish(tgz);
    assert.equal(pin, { name: '@firstboot-test/hello', version: '1.2.3', integrity: sri(readFileSync(tgz)) });
    const root = mkdtempSync(join(tmpdir(), 'firstboot-registry-fetch-'));
    const lines: string[] = [];
    await fetchPackages([pin], { registry: registry.url, root, log: (line) => lines.push(line) });
    assert.is(readFileSync(join(root, 'node_modules/@firstboot-test/hello/hello.txt'), 'utf8'), 'hello\n');
    assert.equal(lines, ['@firstboot-test/hello@1.2.3: installed (2 files)']);
    // no uplinks: a package that was not published here does not exist
    assert.is((await fetch(`${registry.url}zx`)).status, 404);
  });
});

test('the checkout, published as a release would be, is served at firstboot/-/firstboot-VERSION.tgz: the bytes npm pack makes, dist/ built', async () => {
  await withRegistry({}, async (registry) => {
    const pin = await registry.publishCheckout();
    assert.equal([pin.name, pin.version], ['firstboot', pkg.version]);
    const served = Buffer.from(await (await fetch(`${registry.url}firstboot/-/firstboot-${pkg.version}.tgz`)).arrayBuffer());
    assert.is(sri(served), pin.integrity);
    assert.is(sri(readFileSync(await packCheckout())), pin.integrity);
    const files = readTar(served).map((entry) => entry.path);
    for (const file of ['package.json', 'dist/firstboot.js', 'dist/payload/main.mjs', 'dist/payload/pieces.json']) assert.ok(files.includes(file), file);
  });
});

test('a registry started from a seed serves its packages and leaves the seed as it was; a stopped one answers nothing', async () => {
  const seed = join(mkdtempSync(join(tmpdir(), 'firstboot-registry-seed-')), 'storage');
  const pin = await withRegistry({ storage: seed }, (registry) => registry.publish(folder('firstboot-test-first', '1.0.0', 'first\n')));
  const before = contents(seed);
  const registry = await startRegistry({ seed });
  try {
    const served = Buffer.from(await (await fetch(tarballUrl(registry.url, pin))).arrayBuffer());
    assert.is(sri(served), pin.integrity);
    await registry.publish(folder('firstboot-test-second', '1.0.0', 'second\n'));
    assert.equal(contents(seed), before);
  } finally {
    await registry.stop();
  }
  await fetch(registry.url).then(() => assert.unreachable('the registry still answers'), () => undefined);
});

test.run();
