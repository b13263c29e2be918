// `npm run pins [-- CLAUDE_VERSION CONTEXT7_VERSION GEOIP_VERSION GSD_VERSION]`: refreshes the npm pins of
// the optional capabilities (the latest versions when none are given): Claude Code, Context7 and GSD
// (devtools) in contract/devtools-pins.json, which the devtools step's code carries, and the country-IP
// data (geoip) and each of Context7's and GSD's tarballs (for a mirror) in generator/pins.json. npm
// resolves each tree and records each tarball's sha512 without downloading anything
// (--package-lock-only); the server checks every tarball against these before it unpacks one.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { treeDigest, type NpmTree } from '../contract/npm-tree';
import type { DevtoolsPins } from '../contract/devtools-pins';

const CLAUDE = '@anthropic-ai/claude-code';
const CONTEXT7 = '@upstash/context7-mcp';
const GEOIP = '@ip-location-db/geo-whois-asn-country';
const GSD = 'get-shit-done-cc';
const ARCHES = ['x64', 'arm64'] as const;
// GSD declares Node.js 22 (engines), but nothing in it checks or needs it: its installer, hooks and
// `gsd-sdk query` ran on Node 18.20 and 20.20. The oldest distribution Node firstboot meets (Ubuntu 24.04's
// 18.19, generator/config/images.ts) is what it asks for, so every image may have GSD.
const GSD_NODE = '18.19.0';

type Lock = Record<string, { version: string; integrity: string; optional?: boolean }>;
type Tarball = { path: string; version: string; integrity: string };

const view = (spec: string, field: string) =>
  JSON.parse(execFileSync('npm', ['view', spec, field, '--json'], { encoding: 'utf8' }));
const [
  claude = view(CLAUDE, 'version'),
  context7 = view(CONTEXT7, 'version'),
  geoip = view(GEOIP, 'version'),
  gsd = view(GSD, 'version'),
] = process.argv.slice(2) as string[];

/** npm's lock of a package.json, resolved in a directory of its own, with nothing downloaded */
function resolve(dir: string, manifest: object): Lock {
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ private: true, ...manifest }));
  execFileSync('npm', ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: dir,
    stdio: 'inherit',
  });
  return (JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8')) as { packages: Lock }).packages;
}

/** paths below node_modules/, as npm lays the tree out */
const tarballsOf = (lock: Lock, paths: string[]): Tarball[] =>
  paths.map((path) => ({
    path: path.replace(/^node_modules\//, ''),
    version: lock[path].version,
    integrity: lock[path].integrity,
  }));

function treeOf(tarballs: Tarball[], node: string, main: string): NpmTree {
  const ids = tarballs.map((p) => ({ id: `${p.path}@${p.version}`, integrity: p.integrity }));
  return { packages: ids.map((e) => e.id), digest: treeDigest(ids), node, main };
}

/** a package's bin of this name (or its first), relative to node_modules/ */
const binOf = (name: string, version: string, bin?: string) => {
  const bins = view(`${name}@${version}`, 'bin') as Record<string, string>;
  return `${name}/${(bin && bins[bin]) || Object.values(bins)[0]}`;
};

const dir = mkdtempSync(join(tmpdir(), 'firstboot-pins-'));
const gsdDir = mkdtempSync(join(tmpdir(), 'firstboot-pins-gsd-'));
try {
  // Claude Code's own package is a Node >= 22 wrapper around these: the native program, one per platform
  const optionalDependencies = Object.fromEntries(ARCHES.map((arch) => [`${CLAUDE}-linux-${arch}`, claude]));
  const lock = resolve(dir, { dependencies: { [CONTEXT7]: context7, [GEOIP]: geoip }, optionalDependencies });
  const entry = (path: string) => ({ version: lock[path].version, integrity: lock[path].integrity });
  const context7Tarballs = tarballsOf(
    lock,
    Object.keys(lock).filter((path) => path && !path.includes(`${CLAUDE}-linux-`) && path !== `node_modules/${GEOIP}`),
  );
  // GSD in a lock of its own, so neither tree moves the other's packages. What npm marks optional stays
  // out: the Agent SDK's native programs (`gsd-sdk query` never starts one) and fallow with its native
  // programs (GSD's opt-in review pre-pass looks for it in the project or on PATH, never in its own tree).
  const gsdLock = resolve(gsdDir, { dependencies: { [GSD]: gsd } });
  const gsdTarballs = tarballsOf(
    gsdLock,
    Object.keys(gsdLock).filter((path) => path && !gsdLock[path].optional),
  );
  const devtools: DevtoolsPins = {
    claude: Object.fromEntries(
      ARCHES.map((arch) => [
        arch,
        { name: `${CLAUDE}-linux-${arch}`, ...entry(`node_modules/${CLAUDE}-linux-${arch}`) },
      ]),
    ) as DevtoolsPins['claude'],
    context7: treeOf(
      context7Tarballs,
      (view(`${CONTEXT7}@${context7}`, 'engines.node') as string).replace(/^>=\s*/, ''),
      binOf(CONTEXT7, context7),
    ),
    gsd: treeOf(gsdTarballs, GSD_NODE, binOf(GSD, gsd, 'gsd-sdk')),
  };
  writeFileSync('contract/devtools-pins.json', JSON.stringify(devtools, null, 1) + '\n');
  writeFileSync(
    'generator/pins.json',
    JSON.stringify(
      {
        context7: { tree: context7Tarballs },
        geoip: { name: GEOIP, ...entry(`node_modules/${GEOIP}`) },
        gsd: { tree: gsdTarballs },
      },
      null,
      1,
    ) + '\n',
  );
  console.log(
    `pinned ${CLAUDE}-linux-{${ARCHES}} ${claude}, ${CONTEXT7} ${context7} (${context7Tarballs.length} packages, ` +
      `Node ${devtools.context7.node}), ${GEOIP} ${geoip}, ${GSD} ${gsd} (${gsdTarballs.length} packages)`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
  rmSync(gsdDir, { recursive: true, force: true });
}
