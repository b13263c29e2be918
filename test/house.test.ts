// The house rules that keep the code readable, checked on every `npm test`: imports go one way (the CLI
// → the flows → the SSH layer and the Hetzner client → the contract) with no cycle, and files and lines
// stay short. Type-only imports do not count: they vanish when the code runs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const FOLDERS = ['apply', 'cli', 'cloud-init', 'contract', 'generator', 'hcloud', 'payload', 'scripts', 'ssh', 'test'];
const MAX_LINES = 300;
const MAX_WIDTH = 120;

/** What each folder may import at run time; a folder may always import from itself. */
const MAY_IMPORT: [folder: string, allowed: string[]][] = [
  ['contract/', []],
  ['payload/', ['contract/']],
  ['generator/', ['contract/']],
  ['ssh/', ['contract/']],
  ['hcloud/api/', ['contract/']],
  ['apply/', ['contract/', 'generator/', 'ssh/']],
  ['hcloud/', ['contract/', 'generator/', 'ssh/', 'apply/']],
  ['cli/', ['contract/', 'generator/', 'ssh/', 'apply/', 'hcloud/']],
];

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'golden') return [];
    if (statSync(join(ROOT, path)).isDirectory()) return sources(path);
    return /\.(ts|mjs|js)$/.test(name) ? [path] : [];
  });
}

const files = FOLDERS.flatMap(sources);

/** The project files a source imports at run time (relative specifiers, `import type` left out). */
function runtimeImports(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const found: string[] = [];
  const statement =
    /^\s*(import|export)\s+(type\s+)?([^'";]*?)\s*from\s*'(\.{1,2}\/[^']+)'|import\(\s*'(\.{1,2}\/[^']+)'\s*\)/gm;
  for (const m of text.matchAll(statement)) {
    const specifier = m[4] ?? m[5];
    const names = m[3] ?? '';
    const typeOnly =
      !!m[2] ||
      (/^\{[^}]*\}$/.test(names.trim()) &&
        names
          .replace(/[{}\s]/g, '')
          .split(',')
          .every((n) => n.startsWith('type')));
    if (typeOnly) continue;
    const base = resolve(ROOT, dirname(file), specifier);
    const target = [base, `${base}.ts`, join(base, 'index.ts')].find((p) => {
      try {
        return statSync(p).isFile();
      } catch {
        return false;
      }
    });
    if (target) found.push(relative(ROOT, target));
  }
  return found;
}

const graph = new Map(files.map((f) => [f, runtimeImports(f)]));

function cyclesIn(imports: Map<string, string[]>): string[] {
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (file: string, path: string[]) => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'open') return void cycles.push([...path.slice(path.indexOf(file)), file].join(' → '));
    state.set(file, 'open');
    for (const next of imports.get(file) ?? []) visit(next, [...path, file]);
    state.set(file, 'done');
  };
  for (const file of imports.keys()) visit(file, []);
  return cycles;
}

test('the checks read what they check: runtime imports without the type-only ones, and a cycle', () => {
  // ssh/run.ts imports ./known-hosts and ./pace for functions and ./target for a type only
  assert.equal(graph.get('ssh/run.ts'), ['ssh/known-hosts.ts', 'ssh/pace.ts']);
  const looped = new Map([
    ['a', ['b']],
    ['b', ['c']],
    ['c', ['a']],
  ]);
  assert.equal(cyclesIn(looped), ['a → b → c → a']);
});

test('no import cycle', () => {
  assert.equal(cyclesIn(graph), []);
});

test('imports go one way: the Hetzner client and the SSH layer never reach up into a flow or the CLI', () => {
  const wrong: string[] = [];
  for (const [file, imports] of graph) {
    const rule = MAY_IMPORT.find(([folder]) => file.startsWith(folder));
    if (!rule) continue;
    const [folder, allowed] = rule;
    // package.json and its lock are data at the root, for everyone
    for (const target of imports)
      if (target.includes('/') && !target.startsWith(folder) && !allowed.some((a) => target.startsWith(a)))
        wrong.push(`${file} → ${target}`);
  }
  assert.equal(wrong, []);
});

test(`no file over ${MAX_LINES} lines`, () => {
  const long = files
    .map((f) => [f, readFileSync(join(ROOT, f), 'utf8').split('\n').length - 1] as const)
    .filter(([, n]) => n > MAX_LINES)
    .map(([f, n]) => `${f}: ${n} lines`);
  assert.equal(long, []);
});

test(`no line over ${MAX_WIDTH} characters`, () => {
  const wide = files
    .filter((f) => f !== 'cloud-init/unpack.js') // minified into the user-data as it is
    .flatMap((f) =>
      readFileSync(join(ROOT, f), 'utf8')
        .split('\n')
        // a line that is one regular expression alone cannot be wrapped
        .flatMap((line, i) =>
          line.length > MAX_WIDTH && !/^\s*\/.+\/[a-z]*[;,]?$/.test(line) ? [`${f}:${i + 1}: ${line.length}`] : [],
        ),
    );
  assert.equal(wide, []);
});

test('a suite whose before hook throws fails the test run (uvu alone would exit 0)', () => {
  const run = spawnSync('npx', ['tsx', 'scripts/uvu.ts', '-r', 'tsx', 'test/uvu-guard', 'check\\.ts$'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  assert.is(run.status, 1, run.stdout + run.stderr);
  assert.match(run.stderr, /1 of 1 tests did not run/);
});

test.run();
