// `npm run pins [-- CLAUDE_VERSION CONTEXT7_VERSION]`: refreshes the developer tools' npm pins in
// generator/devtools-pins.json (the latest versions when none are given). npm resolves the tree and
// records each tarball's sha512 without downloading anything (--package-lock-only); the server checks
// every tarball against these before it unpacks one.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLAUDE = '@anthropic-ai/claude-code';
const CONTEXT7 = '@upstash/context7-mcp';
const ARCHES = ['x64', 'arm64'] as const;

const latest = (name: string) => JSON.parse(execFileSync('npm', ['view', name, 'version', '--json'], { encoding: 'utf8' })) as string;
const [claude = latest(CLAUDE), context7 = latest(CONTEXT7)] = process.argv.slice(2);

const dir = mkdtempSync(join(tmpdir(), 'firstboot-pins-'));
try {
  // Claude Code's own package is a Node >= 22 wrapper around these: the native program, one per platform
  const optionalDependencies = Object.fromEntries(ARCHES.map((arch) => [`${CLAUDE}-linux-${arch}`, claude]));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ private: true, dependencies: { [CONTEXT7]: context7 }, optionalDependencies }));
  execFileSync('npm', ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'inherit' });
  const lock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string; integrity: string }> };
  const entry = (path: string) => ({ version: lock.packages[path].version, integrity: lock.packages[path].integrity });
  const tree = Object.keys(lock.packages).filter((path) => path && !path.includes(`${CLAUDE}-linux-`));
  const view = (field: string) => JSON.parse(execFileSync('npm', ['view', `${CONTEXT7}@${context7}`, field, '--json'], { encoding: 'utf8' }));
  const engines = view('engines.node') as string;
  const main = Object.values(view('bin') as Record<string, string>)[0];
  const pins = {
    claude: Object.fromEntries(ARCHES.map((arch) => [arch, { name: `${CLAUDE}-linux-${arch}`, ...entry(`node_modules/${CLAUDE}-linux-${arch}`) }])),
    context7: {
      node: engines.replace(/^>=\s*/, ''),
      main,
      // paths below node_modules/, as npm lays the tree out
      tree: tree.map((path) => ({ path: path.replace(/^node_modules\//, ''), ...entry(path) })),
    },
  };
  writeFileSync('generator/devtools-pins.json', JSON.stringify(pins, null, 1) + '\n');
  console.log(`pinned ${CLAUDE}-linux-{${ARCHES}} ${claude}, ${CONTEXT7} ${context7} (${tree.length} packages, Node ${pins.context7.node})`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
