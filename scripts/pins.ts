// `npm run pins [-- CLAUDE_VERSION CONTEXT7_VERSION GEOIP_VERSION]`: refreshes the npm pins of the
// optional capabilities (the latest versions when none are given): Claude Code and Context7 (devtools)
// in contract/devtools-pins.json, which the devtools step's code carries, and the country-IP data
// (geoip) and each of Context7's tarballs (for a mirror) in generator/pins.json. npm resolves the tree
// and records each tarball's sha512 without downloading anything (--package-lock-only); the server
// checks every tarball against these before it unpacks one.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { treeDigest } from '../contract/npm-tree';
import type { DevtoolsPins } from '../contract/devtools-pins';

const CLAUDE = '@anthropic-ai/claude-code';
const CONTEXT7 = '@upstash/context7-mcp';
const GEOIP = '@ip-location-db/geo-whois-asn-country';
const ARCHES = ['x64', 'arm64'] as const;

const view = (spec: string, field: string) =>
  JSON.parse(execFileSync('npm', ['view', spec, field, '--json'], { encoding: 'utf8' }));
const [claude = view(CLAUDE, 'version'), context7 = view(CONTEXT7, 'version'), geoip = view(GEOIP, 'version')] =
  process.argv.slice(2) as string[];

const dir = mkdtempSync(join(tmpdir(), 'firstboot-pins-'));
try {
  // Claude Code's own package is a Node >= 22 wrapper around these: the native program, one per platform
  const optionalDependencies = Object.fromEntries(ARCHES.map((arch) => [`${CLAUDE}-linux-${arch}`, claude]));
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ private: true, dependencies: { [CONTEXT7]: context7, [GEOIP]: geoip }, optionalDependencies }),
  );
  execFileSync('npm', ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: dir,
    stdio: 'inherit',
  });
  const lock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version: string; integrity: string }>;
  };
  const entry = (path: string) => ({ version: lock.packages[path].version, integrity: lock.packages[path].integrity });
  const tree = Object.keys(lock.packages).filter(
    (path) => path && !path.includes(`${CLAUDE}-linux-`) && path !== `node_modules/${GEOIP}`,
  );
  // paths below node_modules/, as npm lays the tree out
  const tarballs = tree.map((path) => ({ path: path.replace(/^node_modules\//, ''), ...entry(path) }));
  const ids = tarballs.map((p) => ({ id: `${p.path}@${p.version}`, integrity: p.integrity }));
  const devtools: DevtoolsPins = {
    claude: Object.fromEntries(
      ARCHES.map((arch) => [
        arch,
        { name: `${CLAUDE}-linux-${arch}`, ...entry(`node_modules/${CLAUDE}-linux-${arch}`) },
      ]),
    ) as DevtoolsPins['claude'],
    context7: {
      packages: ids.map((e) => e.id),
      digest: treeDigest(ids),
      node: (view(`${CONTEXT7}@${context7}`, 'engines.node') as string).replace(/^>=\s*/, ''),
      main: `${CONTEXT7}/${Object.values(view(`${CONTEXT7}@${context7}`, 'bin') as Record<string, string>)[0]}`,
    },
  };
  writeFileSync('contract/devtools-pins.json', JSON.stringify(devtools, null, 1) + '\n');
  writeFileSync(
    'generator/pins.json',
    JSON.stringify(
      { context7: { tree: tarballs }, geoip: { name: GEOIP, ...entry(`node_modules/${GEOIP}`) } },
      null,
      1,
    ) + '\n',
  );
  console.log(
    `pinned ${CLAUDE}-linux-{${ARCHES}} ${claude}, ${CONTEXT7} ${context7} (${tree.length} packages, ` +
      `Node ${devtools.context7.node}), ${GEOIP} ${geoip}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
