// Builds the two bundles: dist/payload.cjs (runs on the server's distro Node, 18 or later) and
// dist/firstboot.js (the CLI on the user's machine).
import { build, type Plugin } from 'esbuild';
import { chmod, readFile } from 'node:fs/promises';
import pkg from '../package.json' with { type: 'json' };

/** Points zx/core's vendor bundle at payload/lib/zx-vendor.ts (see the comment there). */
const zxVendorStandIn: Plugin = {
  name: 'zx-vendor-stand-in',
  setup(b) {
    // zx/core's ESM entry is a Deno-aware wrapper around core.cjs: take core.cjs itself
    b.onResolve({ filter: /^zx\/core$/ }, () => ({ path: new URL('../node_modules/zx/build/core.cjs', import.meta.url).pathname }));
    b.onResolve({ filter: /^\.\/vendor-core\.cjs$/ }, (args) =>
      args.importer.includes('/node_modules/zx/build/')
        ? { path: new URL('../payload/lib/zx-vendor.ts', import.meta.url).pathname }
        : undefined,
    );
  },
};

/**
 * zx/core's error-code tables and its command highlighter only decorate messages; the payload runs zx
 * quiet and reports exit codes itself. Dropping them saves ~6 KB of bundle. Pinned zx: each cut must
 * match, so an upgrade that moves the code fails the build instead of shipping it.
 */
const zxTrim: Plugin = {
  name: 'zx-trim',
  setup(b) {
    b.onLoad({ filter: /node_modules\/zx\/build\/core\.cjs$/ }, async (args) => {
      let text = await readFile(args.path, 'utf8');
      const cuts: [RegExp, string][] = [
        [/var EXIT_CODES = \{[^}]*\};/, 'var EXIT_CODES = {};'],
        [/var ERRNO_CODES = \{[^}]*\};/, 'var ERRNO_CODES = {};'],
        [/var RESERVED_WORDS = [^;]*\]\);/, 'var RESERVED_WORDS = new Set();'],
        [/function formatCmd\(cmd\) \{[\s\S]*?\n\}\n/, 'function formatCmd(cmd) { return cmd; }\n'],
      ];
      for (const [pattern, replacement] of cuts) {
        if (!pattern.test(text)) throw new Error(`zx-trim: ${pattern} no longer matches zx's core.cjs`);
        text = text.replace(pattern, replacement);
      }
      return { contents: text, loader: 'js' };
    });
  },
};

export async function buildPayload(outfile = 'dist/payload.cjs', entry = 'payload/main.ts') {
  return build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node18',
    format: 'cjs',
    minify: true,
    legalComments: 'none',
    // the second line lets `firstboot inspect` name the payload's version
    banner: { js: `#!/usr/bin/node\n// firstboot ${pkg.version}` },
    define: { FIRSTBOOT_VERSION: JSON.stringify(pkg.version) },
    plugins: [zxVendorStandIn, zxTrim],
    metafile: true,
    logLevel: 'warning',
  });
}

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
    logLevel: 'warning',
  });
  await chmod(outfile, 0o755);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  Promise.all([buildPayload(), buildCli()]).catch(() => (process.exitCode = 1));
}
