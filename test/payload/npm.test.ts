// lib/npm.ts and lib/tar.ts against a real HTTP server: packages and trees installed as pinned, hostile or
// corrupt tarballs. The downloads from a flaky mirror are in npm-download.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fetchPackages, tarballUrl } from '../../payload/lib/npm';
import { fetchTree } from '../../payload/lib/npm-tree';
import { treeDigest } from '../../contract/npm-tree';
import { readTar } from '../../payload/lib/tar';
import { rejects } from '../rejects';
import { tar, tgz, type Entry } from '../fakes/tar';
import { half, send, status, type Handler } from '../fakes/http';
import { cleanUp, sri, pax, BIG, ZX, zx, registry, machine, mode, list } from './npm-setup';

test.after.each(cleanUp);

test('tarballUrl follows the registry layout', () => {
  const pkg = { name: 'zx', version: '8.8.5' };
  assert.is(tarballUrl('https://registry.npmjs.org/', pkg), 'https://registry.npmjs.org/zx/-/zx-8.8.5.tgz');
  assert.is(tarballUrl('https://registry.npmjs.org', pkg), 'https://registry.npmjs.org/zx/-/zx-8.8.5.tgz');
  assert.is(
    tarballUrl('http://host:8080/npm/', { name: '@scope/pkg', version: '1.2.3' }),
    'http://host:8080/npm/@scope/pkg/-/pkg-1.2.3.tgz',
  );
});

test('installs a package: files, modes, marker, no leftovers', async () => {
  const server = await registry(send(ZX));
  const m = machine(server.url);
  await fetchPackages([zx()], m.options);
  const dir = join(m.modules, 'zx');
  assert.is(server.requests[0].url, '/npm/zx/-/zx-8.8.5.tgz');
  assert.is(readFileSync(join(dir, 'package.json'), 'utf8'), '{"name":"zx"}');
  assert.ok(readFileSync(join(dir, 'build/big.bin')).equals(BIG));
  assert.is(mode(join(dir, 'package.json')), 0o644);
  assert.is(mode(join(dir, 'build/cli.js')), 0o755);
  assert.is(mode(join(dir, 'build')), 0o755);
  assert.is(readFileSync(join(dir, '.firstboot-integrity'), 'utf8'), zx().integrity);
  assert.is(mode(join(m.root, '.downloads')), 0o700);
  assert.equal(list(join(m.root, '.downloads')), []);
  assert.equal(list(m.modules), ['zx']);
  assert.equal(m.lines, ['zx@8.8.5: installed (3 files)']);
});

test('installs a scoped package, in the given order', async () => {
  const types = tgz({ name: 'package/index.d.ts', body: 'export {};\n' });
  const server = await registry((req, res) => send(req.url!.includes('@types') ? types : ZX)(req, res));
  const m = machine(server.url);
  await fetchPackages([{ name: '@types/x', version: '1.0.0', integrity: sri(types) }, zx()], m.options);
  assert.equal(
    server.requests.map((req) => req.url),
    ['/npm/@types/x/-/x-1.0.0.tgz', '/npm/zx/-/zx-8.8.5.tgz'],
  );
  assert.is(readFileSync(join(m.modules, '@types/x/index.d.ts'), 'utf8'), 'export {};\n');
  assert.equal(list(join(m.modules, '@types')), ['x']);
  assert.equal(m.lines, ['@types/x@1.0.0: installed (1 files)', 'zx@8.8.5: installed (3 files)']);
});

test('a package already installed with the same integrity costs no request', async () => {
  const server = await registry(send(ZX));
  const m = machine(server.url);
  await fetchPackages([zx()], m.options);
  await fetchPackages([zx()], m.options);
  assert.is(server.requests.length, 1);
  assert.equal(m.lines, ['zx@8.8.5: installed (3 files)']);
});

test('replaces an install with another integrity, whole', async () => {
  const server = await registry(send(ZX));
  const m = machine(server.url);
  mkdirSync(join(m.modules, 'zx'), { recursive: true });
  writeFileSync(join(m.modules, 'zx/stale.js'), '');
  writeFileSync(join(m.modules, 'zx/.firstboot-integrity'), sri(Buffer.from('older')));
  await fetchPackages([zx()], m.options);
  assert.not.ok(existsSync(join(m.modules, 'zx/stale.js')));
  assert.ok(existsSync(join(m.modules, 'zx/build/cli.js')));
});

test('an integrity mismatch fails before unpacking and drops the download', async () => {
  const server = await registry(send(ZX));
  const m = machine(server.url);
  const wanted = sri(Buffer.from('something else'));
  const err = await rejects(() => fetchPackages([{ ...zx(), integrity: wanted }], m.options), /integrity mismatch/);
  assert.is(err.message, `zx@8.8.5: integrity mismatch: wanted ${wanted}, got ${zx().integrity}`);
  assert.is(server.requests.length, 1);
  assert.equal(list(m.modules), []);
  assert.equal(list(join(m.root, '.downloads')), []);
});

test('only sha512 pins are accepted', async () => {
  const server = await registry(send(ZX));
  const m = machine(server.url);
  await rejects(
    () => fetchPackages([{ ...zx(), integrity: 'sha1-2jmj7l5rSw0yVb/vlWAYkK/YBwk=' }], m.options),
    /^zx@8\.8\.5: only sha512 integrity pins are accepted/,
  );
  assert.is(server.requests.length, 0);
});

test('refuses entries that leave the package folder or are not plain files', async () => {
  const hostile: [Entry, string][] = [
    [{ name: '../x' }, '../x (parent folder)'],
    [{ name: 'package/../../x' }, 'package/../../x (parent folder)'],
    [{ name: '/etc/x' }, '/etc/x (absolute path)'],
    [{ name: 'package/link', type: '2', link: '/etc/passwd' }, 'package/link (symlink)'],
    [{ name: 'package/hard', type: '1', link: 'package/package.json' }, 'package/hard (hard link)'],
    [{ name: 'package/tty', type: '3' }, 'package/tty (character device)'],
    [{ name: 'package/pipe', type: '6' }, 'package/pipe (fifo)'],
  ];
  for (const [entry, named] of hostile) {
    // the hostile entry comes last: what came before must not stay either
    const tarball = tgz({ name: 'package/package.json', body: '{}' }, entry);
    const server = await registry(send(tarball));
    const m = machine(server.url);
    const err = await rejects(() => fetchPackages([zx(tarball)], m.options), /unsafe tarball entry/);
    assert.is(err.message, `zx@8.8.5: unsafe tarball entry ${named}`);
    assert.equal(list(m.modules), []);
  }
});

test('honours pax paths, the ustar prefix and GNU long names', async () => {
  const long = (c: string) => c.repeat(120) + '.js';
  const tarball = tgz(
    { name: 'pax_global_header', type: 'g', body: '20 comment=ignored\n' },
    pax(`package/${long('a')}`),
    { name: 'package/cut-short-a', body: 'pax' },
    { name: 'file.js', prefix: `package/${'d'.repeat(120)}`, body: 'prefix' },
    { name: '././@LongLink', type: 'L', body: `package/${long('g')}\0` },
    { name: 'package/cut-short-g', body: 'gnu' },
  );
  const server = await registry(send(tarball));
  const m = machine(server.url);
  await fetchPackages([zx(tarball)], m.options);
  const dir = join(m.modules, 'zx');
  assert.is(readFileSync(join(dir, long('a')), 'utf8'), 'pax');
  assert.is(readFileSync(join(dir, 'd'.repeat(120), 'file.js'), 'utf8'), 'prefix');
  assert.is(readFileSync(join(dir, long('g')), 'utf8'), 'gnu');
  assert.equal(list(dir).sort(), ['.firstboot-integrity', long('a'), long('g'), 'd'.repeat(120)].sort());
});

test('refuses a corrupt gzip or tar, even when it matches its pin', async () => {
  const badSum = tar({ name: 'package/x', body: 'x' });
  badSum[0] ^= 1;
  const flipped = Buffer.from(ZX);
  flipped[half(ZX)] ^= 0xff;
  const corrupt: [Buffer, RegExp][] = [
    [ZX.subarray(0, ZX.length - 100), /^zx@8\.8\.5: corrupt tarball: unexpected end of file$/],
    [flipped, /^zx@8\.8\.5: corrupt tarball: /],
    [gzipSync(badSum), /^zx@8\.8\.5: corrupt tarball: bad header checksum at byte 0$/],
    [gzipSync(tar({ name: 'package/x', body: BIG }).subarray(0, 4096)), /^zx@8\.8\.5: corrupt tarball: truncated$/],
  ];
  for (const [tarball, pattern] of corrupt) {
    const server = await registry(send(tarball));
    const m = machine(server.url);
    await rejects(() => fetchPackages([zx(tarball)], m.options), pattern);
    assert.equal(list(m.modules), []);
  }
});

// A tree: a package, a scoped one, and a second version nested under the first, as npm lays them out
const TREE = {
  'a@1.0.0': tgz({ name: 'package/index.js', body: 'a1' }),
  '@s/b@2.0.0': tgz({ name: 'package/index.js', body: 'b2' }),
  'a/node_modules/@s/b@1.0.0': tgz({ name: 'package/index.js', body: 'b1' }),
};
const pinnedTree = (tarballs: Record<string, Buffer> = TREE) => {
  const entries = Object.entries(tarballs).map(([id, body]) => ({ id, integrity: sri(body) }));
  return { packages: entries.map((e) => e.id), digest: treeDigest(entries), node: '18.0.0', main: 'a/index.js' };
};
/** serves each tarball of a tree at the path a registry has it under */
const atRegistryPaths =
  (tarballs: Record<string, Buffer>): Handler =>
  (req, res) => {
    const paths = Object.fromEntries(
      Object.entries(tarballs).map(([id, body]) => {
        const [, name, version] = /(?:^|node_modules\/)((?:@[^/]+\/)?[^/@]+)@([\d.]+)$/.exec(id)!;
        return [`/npm/${name}/-/${name.split('/').at(-1)}-${version}.tgz`, body];
      }),
    );
    const body = paths[req.url ?? ''];
    body ? send(body)(req, res) : status(403)(req, res);
  };

test(
  'a tree lands as npm lays it out, nested versions included, ' +
    'after its one digest matched; a second run costs nothing',
  async () => {
    const server = await registry(atRegistryPaths(TREE));
    const m = machine(server.url);
    // a root that does not exist yet: the users who run the tree must be able to read it
    const root = join(m.root, 'tools/context7');
    m.options.root = root;
    m.modules = join(root, 'node_modules');
    await fetchTree(pinnedTree(), m.options);
    assert.is(mode(root), 0o755);
    assert.equal(
      server.requests.map((r) => r.url),
      ['/npm/a/-/a-1.0.0.tgz', '/npm/@s/b/-/b-2.0.0.tgz', '/npm/@s/b/-/b-1.0.0.tgz'],
    );
    assert.is(readFileSync(join(m.modules, 'a/index.js'), 'utf8'), 'a1');
    assert.is(readFileSync(join(m.modules, '@s/b/index.js'), 'utf8'), 'b2');
    assert.is(readFileSync(join(m.modules, 'a/node_modules/@s/b/index.js'), 'utf8'), 'b1');
    assert.is(readFileSync(join(root, '.firstboot-integrity'), 'utf8'), pinnedTree().digest);
    assert.equal(list(root).sort(), ['.firstboot-integrity', 'node_modules']);
    await fetchTree(pinnedTree(), m.options);
    assert.is(server.requests.length, 3);
  },
);

test('one tarball that is not the pinned one: nothing is unpacked, the old tree stays, the downloads go', async () => {
  const swapped = { ...TREE, '@s/b@2.0.0': tgz({ name: 'package/index.js', body: 'evil' }) };
  const server = await registry(atRegistryPaths(swapped));
  const m = machine(server.url);
  mkdirSync(join(m.modules, 'old'), { recursive: true });
  await rejects(() => fetchTree(pinnedTree(), m.options), /the 3 packages downloaded are not the pinned tree/);
  assert.equal(list(m.modules), ['old']);
  assert.equal(list(m.root).sort(), ['node_modules']);
});

test('a tree entry whose path would leave node_modules is refused before any request', async () => {
  const server = await registry(status(404));
  const m = machine(server.url);
  const tree = { ...pinnedTree(), packages: ['a/node_modules/../../../etc@1.0.0'] };
  await rejects(() => fetchTree(tree, m.options), /not a valid package path and version/);
  assert.is(server.requests.length, 0);
});

test('readTar strips the first component and skips the package folder itself', () => {
  const entries = readTar(
    tgz({ name: 'package/', type: '5' }, { name: './package/./lib/a.js', type: '\0', body: 'a', mode: 0o700 }),
  );
  assert.equal(
    entries.map(({ path, type, executable, data }) => ({ path, type, executable, data: data.toString() })),
    [{ path: 'lib/a.js', type: 'file', executable: true, data: 'a' }],
  );
});

test.run();
