// Builds the two bundles: dist/payload.cjs (runs on the server's distro Node, 18 or later) and
// dist/firstboot.js (the CLI on the user's machine).
import { build, type Plugin } from 'esbuild';
import { chmod } from 'node:fs/promises';
import pkg from '../package.json' with { type: 'json' };

/** Points zx/core's vendor bundle at payload/lib/zx-vendor.ts (see the comment there). */
const zxVendorStandIn: Plugin = {
  name: 'zx-vendor-stand-in',
  setup(b) {
    b.onResolve({ filter: /^\.\/vendor-core\.cjs$/ }, (args) =>
      args.importer.includes('/node_modules/zx/build/')
        ? { path: new URL('../payload/lib/zx-vendor.ts', import.meta.url).pathname }
        : undefined,
    );
  },
};

export async function buildPayload(outfile = 'dist/payload.cjs') {
  return build({
    entryPoints: ['payload/main.ts'],
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
    plugins: [zxVendorStandIn],
    metafile: true,
    logLevel: 'warning',
  });
}

export async function buildCli(outfile = 'dist/firstboot.js') {
  await build({
    entryPoints: ['generator/cli.ts'],
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
  await Promise.all([buildPayload(), buildCli()]);
}
