import { readFile } from 'node:fs/promises';
import { promptHidden } from './terminal';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Fail } from '../contract/fail';

export interface TokenSources {
  env?: NodeJS.ProcessEnv;
  /** The hcloud CLI's config; HCLOUD_CONFIG or ~/.config/hcloud/cli.toml when absent. */
  configPath?: string;
  /** Asks for the token without echoing it; absent or returning undefined means no terminal. */
  prompt?: () => Promise<string | undefined>;
}

/** Why no token was found, and where one can come from. */
export const NO_TOKEN =
  'no Hetzner Cloud API token: set HCLOUD_TOKEN, or make an hcloud CLI context (`hcloud context create NAME`), ' +
  'or run on a terminal to be asked for it';

export interface Token {
  token: string;
  /** where it came from, for an error that says which token the API refused */
  source: string;
}

/**
 * HCLOUD_TOKEN, else the hcloud CLI's active context, else a hidden prompt. The token is only
 * ever returned: never printed, logged or stored.
 */
export async function resolveToken(sources: TokenSources = {}): Promise<Token> {
  const env = sources.env ?? process.env;
  if (env.HCLOUD_TOKEN) return { token: sendable(env.HCLOUD_TOKEN), source: 'HCLOUD_TOKEN' };

  const configPath = sources.configPath ?? env.HCLOUD_CONFIG ?? join(homedir(), '.config', 'hcloud', 'cli.toml');
  const text = await readFile(configPath, 'utf8').catch(() => '');
  const fromConfig = activeContextToken(text, env.HCLOUD_CONTEXT);
  if (fromConfig) {
    const context = env.HCLOUD_CONTEXT ?? /^\s*active_context\s*=\s*["']([^"']*)/m.exec(text)?.[1];
    return { token: sendable(fromConfig), source: `the hcloud CLI's context "${context}" in ${configPath}` };
  }
  const prompted = (
    await (sources.prompt ?? (() => promptHidden('Hetzner Cloud API token (input hidden): ')))()
  )?.trim();
  if (prompted) return { token: sendable(prompted), source: 'the prompt' };
  throw new Fail(NO_TOKEN);
}

/** fetch names a header value it refuses in its error message: a token it would refuse never reaches it. */
function sendable(token: string): string {
  const trimmed = token.trim();
  if (!/^[\x21-\x7e]+$/.test(trimmed))
    throw new Error(
      'the Hetzner Cloud API token holds a space, line break or other character no token has; copy it again',
    );
  return trimmed;
}

/**
 * Reads the few lines of the hcloud CLI's TOML that matter:
 *   active_context = "x"
 *   [[contexts]]
 *     name = "x"
 *     token = "..."
 * HCLOUD_CONTEXT picks another context, as it does for the CLI.
 */
export function activeContextToken(toml: string, contextOverride?: string): string | undefined {
  let active = contextOverride;
  const contexts: Record<string, string>[] = [];
  let section: Record<string, string> | undefined;
  for (const raw of toml.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '[[contexts]]') {
      section = {};
      contexts.push(section);
      continue;
    }
    if (line.startsWith('[')) {
      section = undefined; // another table: nothing we read lives there
      continue;
    }
    const match = /^([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)')/.exec(line);
    if (!match) continue;
    const value = match[2] !== undefined ? match[2].replace(/\\(["\\])/g, '$1') : match[3]!;
    if (section) section[match[1]!] = value;
    else if (match[1] === 'active_context' && !contextOverride) active = value;
  }
  return contexts.find((c) => c.name === active)?.token || undefined;
}
