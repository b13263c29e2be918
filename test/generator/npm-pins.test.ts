import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { optionalTarballs, treeTarballs } from '../../generator/npm-pins';
import { DEVTOOLS_PINS } from '../../contract/devtools-pins';
import { treeId } from '../../contract/npm-tree';
import pins from '../../generator/pins.json' with { type: 'json' };

test("a mirror's list holds every tarball the devtools step may fetch, each with its own sha512", () => {
  const listed = new Map(optionalTarballs().map((pkg) => [`${pkg.name}@${pkg.version}`, pkg.integrity]));
  for (const pkg of Object.values(DEVTOOLS_PINS.claude))
    assert.is(listed.get(`${pkg.name}@${pkg.version}`), pkg.integrity);
  for (const id of [...DEVTOOLS_PINS.context7.packages, ...DEVTOOLS_PINS.gsd.packages]) {
    const { name, version } = treeId(id);
    assert.match(listed.get(`${name}@${version}`) ?? '', /^sha512-/, id);
  }
  assert.is(listed.get(`${pins.geoip.name}@${pins.geoip.version}`), pins.geoip.integrity);
});

test("GSD's tree leaves out what npm marks optional: the Agent SDK's and fallow's native programs", () => {
  const names = DEVTOOLS_PINS.gsd.packages.map((id) => treeId(id).name);
  assert.ok(names.includes('get-shit-done-cc') && names.includes('@anthropic-ai/claude-agent-sdk'));
  assert.equal(
    names.filter((name) => /claude-agent-sdk-|fallow|detect-libc/.test(name)),
    [],
  );
  assert.is(DEVTOOLS_PINS.gsd.main, 'get-shit-done-cc/bin/gsd-sdk.js');
  assert.is(treeTarballs(DEVTOOLS_PINS.gsd, pins.gsd.tree).length, DEVTOOLS_PINS.gsd.packages.length);
});

test('tarballs that are not the tree the step pins are refused: another version, one left out, another sha512', () => {
  const tree = DEVTOOLS_PINS.context7;
  const tarballs = pins.context7.tree;
  assert.is(treeTarballs(tree, tarballs).length, tree.packages.length);
  const changed = [
    tarballs.map((p, i) => (i === 0 ? { ...p, version: '0.0.1' } : p)),
    tarballs.slice(1),
    tarballs.map((p, i) => (i === 0 ? { ...p, integrity: tarballs[1].integrity } : p)),
  ];
  for (const other of changed)
    assert.throws(() => treeTarballs(tree, other), /are not the tree its digest pins: npm run pins writes both/);
});

test.run();
