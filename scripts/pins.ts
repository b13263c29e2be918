// `npm run pins [-- CLAUDE_VERSION CONTEXT7_VERSION GEOIP_VERSION]`: refreshes the npm pins of the
// optional capabilities in generator/pins.json (the latest versions when none are given): Claude Code
// and Context7 (devtools) and the country-IP data (geoip). npm resolves the tree and records each
// tarball's sha512 without downloading anything (--package-lock-only); the server checks every
// tarball against these before it unpacks one.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLAUDE = '@anthropic-ai/claude-code';
const CONTEXT7 = '@upstash/context7-mcp';
const GEOIP = '@ip-location-db/geo-whois-asn-country';
const ARCHES = ['x64', 'arm64'] as const;

const view = (spec: string, field: string) => JSON.parse(execFileSync('npm', ['view', spec, field, '--json'], { encoding: 'utf8' }));
const [claude = view(CLAUDE, 'version'), context7 = view(CONTEXT7, 'version'), geoip = view(GEOIP, 'version')] = process.argv.slice(2) as string[];

const dir = mkdtempSync(join(tmpdir(), 'firstboot-pins-'));
try {
  // Claude Code's own package is a Node >= 22 wrapper around these: the native program, one per platform
  const optionalDependencies = Object.fromEntries(ARCHES.map((arch) => [`${CLAUDE}-linux-${arch}`, claude]));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ private: true, dependencies: { [CONTEXT7]: context7, [GEOIP]: geoip }, optionalDependencies }));
  execFileSync('npm', ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'inherit' });
  const lock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string; integrity: string }> };
  const entry = (path: string) => ({ version: lock.packages[path].version, integrity: lock.packages[path].integrity });
  const tree = Object.keys(lock.packages).filter((path) => path && !path.includes(`${CLAUDE}-linux-`) && path !== `node_modules/${GEOIP}`);
  const pins = {
    claude: Object.fromEntries(ARCHES.map((arch) => [arch, { name: `${CLAUDE}-linux-${arch}`, ...entry(`node_modules/${CLAUDE}-linux-${arch}`) }])),
    context7: {
      node: (view(`${CONTEXT7}@${context7}`, 'engines.node') as string).replace(/^>=\s*/, ''),
      main: Object.values(view(`${CONTEXT7}@${context7}`, 'bin') as Record<string, string>)[0],
      // paths below node_modules/, as npm lays the tree out
      tree: tree.map((path) => ({ path: path.replace(/^node_modules\//, ''), ...entry(path) })),
    },
    geoip: { name: GEOIP, ...entry(`node_modules/${GEOIP}`) },
  };
  writeFileSync('generator/pins.json', JSON.stringify(pins, null, 1) + '\n');
  console.log(`pinned ${CLAUDE}-linux-{${ARCHES}} ${claude}, ${CONTEXT7} ${context7} (${tree.length} packages, Node ${pins.context7.node}), ${GEOIP} ${geoip}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
