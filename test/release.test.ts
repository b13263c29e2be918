// A release is reproducible: the package `npm pack` makes from a checkout under umask 077 is the one a
// checkout under umask 022 makes (same integrity, same modes), and so are the payload's pieces, which
// servers fetch from the published package and check against one digest (contract/pieces.ts).
// `npm run release-check` does the same with whole clones; this is its fast part.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { piecesDigest } from '../contract/pieces';
import { buildPayload, normaliseModes, packageFiles } from '../scripts/build';

const tmp = mkdtempSync(join(tmpdir(), 'firstboot-release-'));

/** every file and directory under dir, with its mode */
const modes = (dir: string, under = ''): Record<string, string> =>
  Object.fromEntries(
    readdirSync(join(dir, under), { withFileTypes: true }).flatMap((entry) => {
      const name = join(under, entry.name);
      const mode = (statSync(join(dir, name)).mode & 0o7777).toString(8);
      return entry.isDirectory() ? [[`${name}/`, mode], ...Object.entries(modes(dir, name))] : [[name, mode]];
    }),
  );

const files = (dir: string) =>
  Object.fromEntries(
    Object.keys(modes(dir))
      .filter((name) => !name.endsWith('/'))
      .map((name) => [name, readFileSync(join(dir, name))]),
  );

/** a package folder as a clone and build under `umask` leave it: checked-out files with that umask's modes */
async function checkout(umask: number): Promise<string> {
  const root = join(tmp, umask.toString(8).padStart(3, '0'));
  const old = process.umask(umask);
  try {
    mkdirSync(join(root, 'dist'), { recursive: true });
    for (const entry of await packageFiles('.')) {
      if (entry.startsWith('dist/')) continue;
      cpSync(entry, join(root, entry), { recursive: true });
    }
    cpSync('dist/firstboot.js', join(root, 'dist/firstboot.js'));
    // what git would have checked out under this umask (it keeps only the executable bit)
    for (const name of Object.keys(modes(root))) {
      const made = name.endsWith('/') || name === 'dist/firstboot.js' ? 0o777 : 0o666;
      chmodSync(join(root, name), made & ~umask);
    }
    await buildPayload(join(root, 'dist/payload'));
  } finally {
    process.umask(old);
  }
  return root;
}

const pack = (root: string) => {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const [{ integrity, files }] = JSON.parse(out) as [{ integrity: string; files: { path: string; mode: number }[] }];
  return { integrity, modes: Object.fromEntries(files.map((file) => [file.path, file.mode.toString(8)])) };
};

test('a checkout under umask 077 packs to the integrity and pieces digest of one under 022', async () => {
  const [strict, usual] = [await checkout(0o077), await checkout(0o022)];
  const payload = [strict, usual].map((root) => join(root, 'dist/payload'));
  // the payload as buildPayload leaves it, before the whole package's modes are set
  assert.equal(modes(payload[0]), modes(payload[1]));
  assert.ok(
    Object.values(modes(payload[0])).every((mode) => mode === '644' || mode === '755'),
    'pieces are 0644, folders 0755',
  );
  assert.is(piecesDigest(files(payload[0])), piecesDigest(files(payload[1])));

  for (const root of [strict, usual]) await normaliseModes(root);
  const [a, b] = [pack(strict), pack(usual)];
  assert.equal(a.modes, b.modes);
  assert.is(a.integrity, b.integrity);
  for (const [name, mode] of Object.entries(a.modes))
    assert.is(mode, name === 'dist/firstboot.js' ? '755' : '644', name);
  assert.ok('dist/payload/pieces.json' in a.modes && 'cloud-init/prepare' in a.modes && 'package.json' in a.modes);
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));

test.run();
