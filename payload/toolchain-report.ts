// The daily report's section on the developer toolchain: the Nix store's size, how the last weekly
// garbage collection went, and the pinned tools against what the npm registry has now (asked each
// time; a registry that does not answer is said, not an error).
import type { DevtoolsPlan, Plan } from '../contract/plan';
import type { Machine } from './runner';
import { CONTEXT7_ROOT, DEVTOOLS, GSD_ROOT, NIX_GC } from './lib/devtools-paths';

// Claude Code's native program, one package per architecture (contract/devtools-pins.ts)
const CLAUDE = `${DEVTOOLS}/node_modules/@anthropic-ai/claude-code-linux-${process.arch}`;
const CONTEXT7 = `${CONTEXT7_ROOT}/node_modules/@upstash/context7-mcp`;
const GSD = `${GSD_ROOT}/node_modules/get-shit-done-cc`;

/** the installed package's name and version, from its package.json */
async function installed(m: Machine, dir: string): Promise<{ name: string; version: string } | undefined> {
  try {
    const { name, version } = JSON.parse((await m.fs.read(`${dir}/package.json`)) ?? '');
    return typeof name === 'string' && typeof version === 'string' ? { name, version } : undefined;
  } catch {
    return undefined;
  }
}

/** the registry's latest version of `name`, or why it does not say */
async function latest(registry: string, name: string): Promise<string> {
  try {
    const answer = await fetch(`${registry}${name.replace('/', '%2f')}`, {
      headers: { accept: 'application/vnd.npm.install-v1+json' },
      signal: AbortSignal.timeout(15_000),
    });
    if (!answer.ok) return `the registry answers HTTP ${answer.status}`;
    const tags = ((await answer.json()) as { 'dist-tags'?: { latest?: string } })['dist-tags'];
    return tags?.latest ?? 'the registry names no latest version';
  } catch (error) {
    return `the registry does not answer (${(error as Error).message})`;
  }
}

async function pinnedTools(plan: Plan, p: DevtoolsPlan, m: Machine): Promise<string[]> {
  const tools = [
    ...(p.claude ? [['Claude Code', CLAUDE]] : []),
    ...(p.context7 ? [['Context7', CONTEXT7]] : []),
    ...(p.gsd ? [['GSD', GSD]] : []),
  ];
  const out: string[] = [];
  for (const [label, dir] of tools) {
    const found = await installed(m, dir);
    if (!found) {
      out.push(`${label}: not installed`);
      continue;
    }
    const now = await latest(plan.npm.registry, found.name);
    out.push(
      `${label} ${found.version}: ` +
        (now === found.version
          ? 'the latest'
          : /^\d/.test(now)
            ? `${now} is out (npm run pins in firstboot, then firstboot apply)`
            : now),
    );
  }
  return out;
}

/** How the last collection went, by systemd's record of the service and the line nix-collect-garbage ends with. */
async function lastCollection(m: Machine): Promise<string> {
  const $ = m.$({ nothrow: true });
  const shown = (await $`systemctl show ${NIX_GC}.service -p Result -p ExecMainExitTimestamp`).stdout;
  const value = (key: string) => new RegExp(`^${key}=(.*)$`, 'm').exec(shown)?.[1].trim() ?? '';
  const [result, at] = [value('Result'), value('ExecMainExitTimestamp')];
  if (!at) return 'Nix garbage collection: not run yet (weekly, Sundays at 04:00)';
  const said = (await $`journalctl -u ${NIX_GC}.service -q -o cat -n 50`).stdout
    .split('\n')
    .filter((line) => /freed/.test(line))
    .at(-1);
  return `last Nix garbage collection ${at}: ${result}${said ? ` (${said.trim()})` : ''}`;
}

export async function toolchainSection(plan: Plan, p: DevtoolsPlan, m: Machine): Promise<string[]> {
  const store = (await m.$({ nothrow: true })`du -sh /nix/store`).stdout.split(/\s/)[0];
  return [
    `Nix store: ${store || 'not known (du does not answer)'}`,
    ...(p.nixGcDays ? [await lastCollection(m)] : ['Nix garbage collection: off (devtools.nix_gc)']),
    ...(await pinnedTools(plan, p, m)),
  ];
}
