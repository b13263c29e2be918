// Builds the payload's pieces (dist/payload/: ESM for the server's distro Node, 18 or later) and the CLI
// (dist/firstboot.js). The payload is split: main.mjs (the runner), image.mjs (image mode's clean-up),
// host-key.mjs (replacing a pinned host key), daily-report.mjs (`firstboot report`), pieces.mjs
// (fetching the pieces the user-data left out),
// one entry per step in steps/, and the shared code in lib/ chunks, so the generator ships only the
// pieces a plan needs (dist/payload/pieces.json says which files each needs). zx stays out: the
// server fetches it pinned.
//
// The build is the same, byte for byte and mode for mode, on any machine and checkout: the published
// package is where servers fetch the pieces from (contract/pieces.ts), so `npm pack` must give one
// integrity wherever it runs (`npm run release-check` builds twice and compares).
import { build, transform, type BuildOptions, type Metafile, type Plugin } from 'esbuild';
import { chmod, lstat, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import pkg from '../package.json' with { type: 'json' };

export const PAYLOAD_DIR = 'dist/payload';

/** For main, image and each step: the files it needs, its own first (imports, but not other pieces). */
export type Pieces = Record<string, string[]>;

function piecesOf(metafile: Metafile, outdir: string): Pieces {
  const name = (file: string) => relative(outdir, file);
  const pieceId = (file: string) => name(file).match(/^(?:steps\/)?([\w-]+)\.mjs$/)?.[1];
  const closure = (file: string, seen = new Set<string>()): Set<string> => {
    if (seen.has(file)) return seen;
    seen.add(file);
    for (const dep of metafile.outputs[file].imports) {
      if (dep.external || (dep.kind === 'dynamic-import' && pieceId(dep.path))) continue;
      closure(dep.path, seen);
    }
    return seen;
  };
  const pieces: Pieces = {};
  for (const file of Object.keys(metafile.outputs)) {
    const id = pieceId(file);
    if (id) pieces[id] = [...closure(file)].map(name);
  }
  return pieces;
}

/** How payload code is built: for the server's Node 18, ESM, with zx left to the server's pinned copy. */
export const PAYLOAD_BUILD = {
  entryNames: '[dir]/[name]',
  chunkNames: 'lib/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  platform: 'node',
  target: 'node18',
  format: 'esm',
  minify: true,
  legalComments: 'none',
  external: ['zx', 'zx/*'],
  define: { FIRSTBOOT_VERSION: JSON.stringify(pkg.version) },
  metafile: true,
  logLevel: 'warning',
} as const satisfies BuildOptions;

export async function buildPayload(outdir = PAYLOAD_DIR): Promise<Pieces> {
  // readdir's order is the file system's: sorted, so esbuild sees the entries in one order everywhere
  const steps = (await readdir('payload/steps')).filter((f) => f.endsWith('.ts') && f !== 'index.ts').sort();
  await rm(outdir, { recursive: true, force: true });
  const result = await build({
    ...PAYLOAD_BUILD,
    entryPoints: [
      'payload/main.ts',
      'payload/image.ts',
      'payload/host-key.ts',
      'payload/daily-report.ts',
      'payload/pieces.ts',
      ...steps.map((f) => `payload/steps/${f}`),
    ],
    outdir,
    outbase: 'payload',
  });
  const pieces = piecesOf(result.metafile, outdir);
  await writeFile(`${outdir}/pieces.json`, JSON.stringify(pieces, null, 2) + '\n');
  // prepare's unpacker, which runs before any of them (cloud-init/unpack.js); iife: its names get short too
  const unpack = await transform(await readFile('cloud-init/unpack.js', 'utf8'), {
    minify: true,
    platform: 'node',
    target: 'node18',
    format: 'iife',
  });
  await writeFile(`${outdir}/unpack.js`, unpack.code);
  await normaliseTree(outdir);
  return pieces;
}

/**
 * Files get 0644, directories 0755 and the names in `exec` 0755, whatever the umask they were made or
 * checked out under (git keeps only the executable bit; a clone under umask 077 has 0600 files, and
 * npm's tarball keeps each file's mode, so its integrity would differ).
 */
async function normaliseTree(path: string, exec: ReadonlySet<string> = new Set()): Promise<void> {
  const stat = await lstat(path).catch(() => undefined);
  if (!stat || stat.isSymbolicLink()) return;
  if (stat.isDirectory()) {
    await chmod(path, 0o755);
    for (const entry of await readdir(path)) await normaliseTree(join(path, entry), exec);
  } else if (stat.isFile()) {
    await chmod(path, exec.has(path) ? 0o755 : 0o644);
  }
}

/** what `npm pack` puts in the package: package.json's "files", and what npm adds whatever "files" says */
export async function packageFiles(root = '.'): Promise<string[]> {
  const always = (await readdir(root)).filter((name) =>
    /^(?:package\.json|(?:readme|license|licence|copying)(?:\..*)?)$/i.test(name),
  );
  return [...pkg.files, ...always];
}

/**
 * The modes of everything the package holds, under `root` (the checkout): the bin (dist/firstboot.js)
 * 0755, other files 0644, their directories 0755. Checked-out files (cloud-init/, README.md, ...) are
 * included: they have their checkout's umask too.
 */
export async function normaliseModes(root = '.'): Promise<void> {
  const exec = new Set(Object.values(pkg.bin).map((bin) => join(root, bin)));
  for (const entry of await packageFiles(root)) {
    for (let dir = dirname(entry.replace(/\/$/, '')); dir !== '.'; dir = dirname(dir))
      await chmod(join(root, dir), 0o755).catch(() => {});
    await normaliseTree(join(root, entry), exec);
  }
}

/**
 * package-lock.json as the CLI bundles it (generator/npm-pins.ts reads its pins): only the entries of
 * firstboot's own direct dependencies, whose version and sha512 a plan may pin. The rest of the lock is
 * the test tools' dependency trees (Verdaccio's alone is some 300 packages), which a user's install has
 * no use for.
 */
const directPins: Plugin = {
  name: 'direct-pins',
  setup(on) {
    on.onLoad({ filter: /[\\/]package-lock\.json$/ }, async ({ path }) => {
      const lock = JSON.parse(await readFile(path, 'utf8')) as {
        packages: Record<string, { version?: string; integrity?: string }>;
      };
      const names = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies });
      const packages: typeof lock.packages = {};
      for (const name of names) {
        const entry = lock.packages[`node_modules/${name}`];
        if (entry) packages[`node_modules/${name}`] = { version: entry.version, integrity: entry.integrity };
      }
      return { contents: JSON.stringify({ packages }), loader: 'json' };
    });
  },
};

export async function buildCli(outfile = 'dist/firstboot.js') {
  await build({
    entryPoints: ['cli/main.ts'],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    banner: { js: '#!/usr/bin/env node' },
    plugins: [directPins],
    logLevel: 'warning',
  });
  await chmod(outfile, 0o755);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  Promise.all([buildPayload(), buildCli()])
    .then(() => normaliseModes())
    .catch((error) => {
      if (!error.errors) console.error(`build: ${error.message}`); // esbuild has printed its own
      process.exitCode = 1;
    });
}
