// test/registry.ts: a real Verdaccio, fed by the real `npm publish`, read by the payload's own fetcher.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pkg from '../package.json' with { type: 'json' };
import { fetchPackages, sri, tarballUrl } from '../payload/lib/npm';
import { readTar } from '../payload/lib/tar';
import { pack, packCheckout, startRegistry, withRegistry } from './registry';
import { configAndPlan } from '../generator/generate';
import { fetchPieces } from '../payload/pieces';

// everything the tests write, removed at the end
const TMP = mkdtempSync(join(tmpdir(), 'firstboot-registry-test-'));
const temporary = (name: string) => mkdtempSync(join(TMP, name));
test.after(() => rmSync(TMP, { recursive: true, force: true }));

/** a package folder of the test's own */
function folder(name: string, version: string, text: string): string {
  const dir = temporary('package-');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version }));
  writeFileSync(join(dir, 'hello.txt'), text);
  return dir;
}

/** every file under `dir` with its content */
const contents = (dir: string) =>
  Object.fromEntries(
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => [join(e.parentPath, e.name), readFileSync(join(e.parentPath, e.name), 'utf8')]),
  );

test(
  'a published tarball is served byte for byte, and the payload fetches it by its pin; ' +
    'nothing comes from elsewhere',
  async () => {
    // packed by npm as a release would be, then published as that file
    const tgz = await pack(folder('@firstboot-test/hello', '1.2.3', 'hello\n'), { into: temporary('pack-') });
    await withRegistry({}, async (registry) => {
      const pin = await registry.publish(tgz);
      assert.equal(pin, { name: '@firstboot-test/hello', version: '1.2.3', integrity: sri(readFileSync(tgz)) });
      const root = temporary('fetch-');
      const lines: string[] = [];
      await fetchPackages([pin], { registry: registry.url, root, log: (line) => lines.push(line) });
      assert.is(readFileSync(join(root, 'node_modules/@firstboot-test/hello/hello.txt'), 'utf8'), 'hello\n');
      assert.equal(lines, ['@firstboot-test/hello@1.2.3: installed (2 files)']);
      // no uplinks: a package that was not published here does not exist
      assert.is((await fetch(`${registry.url}zx`)).status, 404);
    });
  },
);

test(
  'the checkout, published as a release would be, is served at firstboot/-/firstboot-VERSION.tgz: ' +
    "the bytes npm pack makes, dist/ built, whose pieces a server takes by the plan's digest",
  async () => {
    await withRegistry({}, async (registry) => {
      const pin = await registry.publishCheckout();
      assert.equal([pin.name, pin.version], ['firstboot', pkg.version]);
      const served = Buffer.from(
        await (await fetch(`${registry.url}firstboot/-/firstboot-${pkg.version}.tgz`)).arrayBuffer(),
      );
      assert.is(sri(served), pin.integrity);
      assert.is(sri(readFileSync(await packCheckout())), pin.integrity);
      const files = readTar(served).map((entry) => entry.path);
      for (const file of ['package.json', 'dist/firstboot.js', 'dist/payload/main.mjs', 'dist/payload/pieces.json'])
        assert.ok(files.includes(file), file);

      // a server whose user-data names npm as the pieces' source:
      // the published package is the build's pieces, by digest
      const { plan } = await configAndPlan({
        config: 'examples/firstboot.yaml',
        piecesFrom: 'npm',
        registry: registry.url,
      });
      const dir = join(TMP, 'server-payload');
      const lines: string[] = [];
      const added = await fetchPieces({ ...plan, pieces: plan.pieces! }, dir, {
        root: join(TMP, 'server-lib'),
        log: (line) => lines.push(line),
      });
      assert.ok(added > plan.steps.length, `${added} files`);
      for (const step of plan.steps)
        assert.is(
          readFileSync(join(dir, 'steps', `${step.id}.mjs`), 'utf8'),
          readFileSync(`dist/payload/steps/${step.id}.mjs`, 'utf8'),
          step.id,
        );
      assert.match(
        lines.join('\n'),
        new RegExp(`firstboot's pieces from npm \\(${registry.url.replace(/[./]/g, '\\$&')}\\): ${added} files added`),
      );
    });
  },
);

test(
  'a registry started from a seed serves its packages and leaves the seed as it was; ' +
    'a stopped one answers nothing',
  async () => {
    const seed = join(temporary('seed-'), 'storage');
    const pin = await withRegistry({ storage: seed }, (registry) =>
      registry.publish(folder('firstboot-test-first', '1.0.0', 'first\n')),
    );
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
    await fetch(registry.url).then(
      () => assert.unreachable('the registry still answers'),
      () => undefined,
    );
  },
);

test('a test process that dies without stopping its registry (SIGKILL) takes Verdaccio with it', async () => {
  const script = join(temporary('orphan-'), 'orphan.mts');
  writeFileSync(
    script,
    `import { startRegistry } from ${JSON.stringify(fileURLToPath(new URL('./registry.ts', import.meta.url)))};\n` +
      'const registry = await startRegistry();\nconsole.log(registry.url, registry.log);\n' +
      'setInterval(() => undefined, 1000);\n',
  );
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [url, log] = await new Promise<string[]>((res) =>
    child.stdout.once('data', (d: Buffer) => res(d.toString().trim().split(' '))),
  );
  assert.is((await fetch(`${url}zx`)).status, 404);
  child.kill('SIGKILL');
  const end = Date.now() + 10_000;
  while (
    await fetch(url).then(
      () => true,
      () => false,
    )
  ) {
    if (Date.now() > end) assert.unreachable(`${url} still answers 10 s after its test process died`);
    await new Promise((res) => setTimeout(res, 100));
  }
  rmSync(dirname(log), { recursive: true, force: true });
});

test.run();
