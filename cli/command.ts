// The shape of a CLI command, shared by cli.ts and the Hetzner Cloud commands' table.
import type { ParseArgsConfig } from 'node:util';
import { realpath } from 'node:fs/promises';
import { writeFileSafely } from '../ssh/local-file';
import { Fail } from '../contract/fail';

export interface Command {
  summary: string;
  usage: string;
  options: ParseArgsConfig['options'];
  run(values: Record<string, any>, positionals: string[]): Promise<number>;
}

export const CONFIG_OPTIONS = {
  config: { type: 'string', short: 'c' },
  'ssh-key': { type: 'string', multiple: true },
} as const satisfies ParseArgsConfig['options'];

export const CONFIG_HELP =
  `  -c, --config FILE    the config (default: ./firstboot.yaml if there is one, ` +
  `else the built-in defaults)
      --ssh-key PATH   also authorise this public key for the admin (repeatable)`;

/** Where the server fetches the payload's pinned npm packages: a mirror can stand in for the registry. */
export const REGISTRY_OPTION = { registry: { type: 'string' } } as const satisfies ParseArgsConfig['options'];

export const REGISTRY_HELP = `      --registry URL   npm registry the server fetches zx from, pinned by sha512
                       (default: $npm_config_registry, else https://registry.npmjs.org/)`;

/** --registry, else npm's own setting, else undefined (the public registry); only http(s) URLs. */
export function registryOf(values: { registry?: string }, env = process.env): string | undefined {
  const [given, source] =
    values.registry !== undefined ? [values.registry, '--registry'] : [env.npm_config_registry, 'npm_config_registry'];
  if (given === undefined || given === '') return undefined;
  let url: URL | undefined;
  try {
    url = new URL(given);
  } catch {}
  if (!url || !/^https?:$/.test(url.protocol))
    throw new Fail(`${source} must be an http:// or https:// URL, got "${given}"`, 2, { usage: true });
  if (url.username || url.password)
    throw new Fail(
      `${source} must not hold credentials: the URL is written into the user-data, which every process on ` +
        `the server can read`,
      2,
      { usage: true },
    );
  return url.href;
}

/** Where the server fetches firstboot's pieces that the user-data leaves out (contract/plan.ts PiecesSource). */
export const PIECES_OPTION = { 'pieces-from': { type: 'string' } } as const satisfies ParseArgsConfig['options'];

export const PIECES_HELP = `      --pieces-from npm|URL
                       the server fetches firstboot's pieces that the user-data leaves out
                       (all but the runner and the steps that keep you able to log in), pinned
                       by one digest: from npm (this version of firstboot, from --registry) or
                       from an https base URL holding what firstboot pieces --out writes
                       (default: the user-data carries them all, if they fit)`;

// loopback, RFC 1918, link-local (a host's own service beside the server), IPv6 loopback and unique local
const PRIVATE_HOSTS = [
  /^(?:localhost|127\.\d+\.\d+\.\d+|10\.\d+\.\d+\.\d+|192\.168\.\d+\.\d+|169\.254\.\d+\.\d+)$/i,
  /^172\.(?:1[6-9]|2\d|3[01])\.\d+\.\d+$/i,
  /^\[(?:::1|f[cd][0-9a-f]*:[0-9a-f:]*)\]$/i,
];
const isPrivateHost = (host: string) => PRIVATE_HOSTS.some((r) => r.test(host));

/** "npm", or an https base URL (http only on a private address: a test's or a LAN's own server). */
export function piecesFromOf(values: { 'pieces-from'?: string }): string | undefined {
  const given = values['pieces-from'];
  if (given === undefined) return undefined;
  if (given === 'npm') return given;
  let url: URL | undefined;
  try {
    url = new URL(given);
  } catch {}
  const allowed = url && (url.protocol === 'https:' || (url.protocol === 'http:' && isPrivateHost(url.hostname)));
  if (!url || !allowed) {
    throw new Fail(
      `--pieces-from takes "npm" or an https:// URL (http:// only on a private address, such as ` +
        `http://10.0.0.2/firstboot/), got "${given}"`,
      2,
      { usage: true },
    );
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new Fail(
      `--pieces-from must be a plain base URL, without credentials, query or fragment: it is written into ` +
        `the user-data, which every process on the server can read`,
      2,
      { usage: true },
    );
  }
  return url.href;
}

/** `-o FORMAT`, as hcloud and kubectl mean it: how a result is printed. Files are `--out FILE`. */
export const FORMAT_OPTION = { output: { type: 'string', short: 'o' } } as const satisfies ParseArgsConfig['options'];
export const FORMAT_HELP = '  -o, --output json    print the result as JSON';

export function wantsJson(values: { output?: string }): boolean {
  if (values.output === undefined) return false;
  if (values.output === 'json') return true;
  throw new Fail(
    `-o is the output format and takes "json", got ` +
      `"${values.output}"${/[./]/.test(values.output) ? `; to write a file: --out ${values.output}` : ''}`,
    2,
    { usage: true },
  );
}

/** Where an artifact goes instead of stdout: whole or not at all (hcloud/local-file.ts). */
export const OUT_OPTION = { out: { type: 'string' } } as const satisfies ParseArgsConfig['options'];
export const OUT_HELP =
  '      --out FILE       write to FILE instead of stdout (- is stdout; nothing is written on error)';

/** The artifact to stdout, or whole to a file (new files 0600: user-data can hold a host key), or nothing. */
export async function emit(text: string, output?: string, config?: string): Promise<void> {
  if (!output || output === '-') return void process.stdout.write(text);
  const same = async (a: string, b: string) =>
    (await realpath(a).catch(() => a)) === (await realpath(b).catch(() => b));
  if (config && (await same(output, config)))
    throw new Fail(`--out ${output} is the config being read; write the output to another file`, 2, { usage: true });
  await writeFileSafely(output, text, { mode: 0o600 });
}
