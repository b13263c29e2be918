// A real npm registry for tests: Verdaccio (a devDependency, so no user's install pulls it in) with no
// uplinks, its storage in a temporary folder, open to anyone for reading and publishing, on 127.0.0.1.
// Packages go in through the real `npm publish`, as a release puts firstboot on npm, and come out as
// any client fetches them: a server's payload by tarball URL (payload/lib/npm.ts).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NpmPackage } from '../contract/plan';
import { sri, tarballUrl } from '../payload/lib/npm';

/** the checkout: what `publishCheckout` publishes */
export const CHECKOUT = fileURLToPath(new URL('..', import.meta.url));
const SERVER = fileURLToPath(new URL('./registry-server.mjs', import.meta.url));
const STARTUP_MS = 30_000;

export interface RegistryOptions {
  /**
   * A storage folder whose packages the registry starts with (one a registry left behind with `storage`),
   * copied into the registry's own storage (its tarballs hard-linked): the seed never changes.
   */
  seed?: string;
  /** the storage folder itself, kept when the registry stops (default: a temporary one, removed) */
  storage?: string;
}

export interface Registry {
  /** http://127.0.0.1:PORT/ */
  url: string;
  port: number;
  /** Verdaccio's log: one line per request, and its errors */
  log: string;
  storage: string;
  /**
   * `npm publish PATH`: a tarball, published byte for byte (checked: the registry serves the file's
   * sha512), or a package folder, packed by npm with its scripts run. Resolves to the pin of what the
   * registry serves at `${url}NAME/-/BASENAME-VERSION.tgz`.
   */
  publish(path: string): Promise<NpmPackage>;
  /** `npm publish` of the checkout, as a release would: its prepare script builds dist/ first */
  publishCheckout(): Promise<NpmPackage>;
  /** Stops Verdaccio and removes its folder (a `storage` of the caller's stays); safe to call twice. */
  stop(): Promise<void>;
}

/** npm's environment without the npm_config_* a parent npm (`npm test`) or a test sets, such as a registry */
function npmEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^npm_config_/i.test(key) || /^npm_config_cache$/i.test(key)),
  );
}

function npm(args: string[], cwd: string): Promise<string> {
  return new Promise((res, rej) => {
    execFile('npm', args, { cwd, env: npmEnv(), encoding: 'utf8', maxBuffer: 1 << 26 }, (error, stdout, stderr) => {
      if (error) rej(new Error(`npm ${args.join(' ')} failed (${error.code}):\n${(stderr || stdout).slice(-3000)}`));
      else res(stdout);
    });
  });
}

/** the JSON document that ends npm's --json output (a lifecycle script may print before it) */
function lastJson(stdout: string): unknown {
  const start = stdout.search(/^[[{]/m);
  if (start < 0) throw new Error(`npm printed no JSON:\n${stdout.slice(-2000)}`);
  return JSON.parse(stdout.slice(start));
}

/**
 * A copy of the storage `from` at `to`, its tarballs hard-linked where the file system allows it: Verdaccio
 * never writes into a tarball it has, but it does rewrite its list of packages (.verdaccio-db.json) in
 * place, so the small files are copied.
 */
function copyStorage(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const [source, target] = [join(from, entry.name), join(to, entry.name)];
    if (entry.isDirectory()) copyStorage(source, target);
    else if (!entry.name.endsWith('.tgz')) copyFileSync(source, target);
    else {
      try {
        linkSync(source, target);
      } catch {
        copyFileSync(source, target);
      }
    }
  }
}

/** Starts a Verdaccio of its own; stop it in a `finally` (or use withRegistry). */
export async function startRegistry(options: RegistryOptions = {}): Promise<Registry> {
  const dir = mkdtempSync(join(tmpdir(), 'firstboot-registry-'));
  const storage = options.storage ?? join(dir, 'storage');
  if (options.seed) copyStorage(options.seed, storage);
  const log = join(dir, 'verdaccio.log');
  const config = {
    self_path: dir,
    storage,
    // Verdaccio's own user database: npm's client wants a token for publishing, so each registry makes one
    auth: { htpasswd: { file: join(dir, 'htpasswd'), max_users: 1 } },
    // no uplinks: what is not published here does not exist (the test machine reaches npm, a guest does not)
    uplinks: {},
    packages: { '**': { access: '$all', publish: '$all', unpublish: '$all' } },
    // the largest pinned tarball (Claude Code's, ~190 MB) travels base64 inside npm's publish request
    max_body_size: '1gb',
    web: { enable: false },
    log: { type: 'file', path: log, format: 'pretty', level: 'http' },
  };
  const stderr = openSync(log, 'a');
  const child = spawn(process.execPath, [SERVER, JSON.stringify(config)], {
    cwd: dir,
    stdio: ['pipe', 'pipe', stderr],
  });
  closeSync(stderr);
  const exited = new Promise<void>((res) => child.on('exit', () => res()));
  const stopped = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.stdin?.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  let port: number;
  try {
    port = await listening(child, exited);
  } catch (err) {
    const text = readFileSync(log, 'utf8').slice(-3000);
    child.kill('SIGKILL');
    await stopped();
    throw new Error(`Verdaccio did not start: ${(err as Error).message}\n${text}`);
  }
  // the test's other handles keep the process alive while the registry is in use; a process that
  // ends without stop() closes Verdaccio's stdin, and Verdaccio exits
  child.unref();
  for (const stream of [child.stdin, child.stdout]) (stream as unknown as { unref?: () => void } | null)?.unref?.();

  const url = `http://127.0.0.1:${port}/`;
  const registry: Registry = {
    url,
    port,
    log,
    storage,
    async publish(path) {
      const file = statSync(path).isFile();
      // --registry and --provenance on the command line: npm lets them override a package's publishConfig
      // (zx's names Google's registry; @hono/node-server's asks for provenance, which needs a CI provider)
      const printed = lastJson(
        await npm(
          [
            'publish',
            resolve(path),
            '--json',
            '--registry',
            url,
            '--userconfig',
            npmrc,
            '--provenance=false',
            ...(file ? ['--ignore-scripts'] : []),
          ],
          dir,
        ),
      );
      // npm 11 prints one object; inside a workspace it is keyed by the package's name
      const result = ('id' in (printed as object) ? printed : Object.values(printed as object)[0]) as {
        name: string;
        version: string;
        integrity: string;
      };
      const pkg = { name: result.name, version: result.version };
      // as the payload asks: Verdaccio gzips a response again when
      // the client accepts it, minutes for Claude Code's 190 MB
      const served = await fetch(tarballUrl(url, pkg), { headers: { 'accept-encoding': 'identity' } });
      if (!served.ok)
        throw new Error(
          `${pkg.name}@${pkg.version}: published, but ${tarballUrl(url, pkg)} answers HTTP ${served.status}`,
        );
      const integrity = sri(Buffer.from(await served.arrayBuffer()));
      const sent = file ? sri(readFileSync(path)) : result.integrity;
      if (integrity !== sent)
        throw new Error(`${pkg.name}@${pkg.version}: the registry serves ${integrity}, npm publish sent ${sent}`);
      return { ...pkg, integrity };
    },
    publishCheckout: () => registry.publish(CHECKOUT),
    stop: stopped,
  };

  // a user and its token, in a userconfig of the registry's own (npm's publish insists on credentials)
  const npmrc = join(dir, 'npmrc');
  try {
    const res = await fetch(`${url}-/user/org.couchdb.user:test`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'test', password: 'test-password', type: 'user', roles: [] }),
    });
    const { token } = (await res.json()) as { token?: string };
    if (!res.ok || !token) throw new Error(`adding a user answered HTTP ${res.status}`);
    const host = `//127.0.0.1:${port}/`;
    writeFileSync(
      npmrc,
      `registry=${url}\n${host}:_authToken=${token}\naudit=false\nfund=false\nupdate-notifier=false\n`,
      { mode: 0o600 },
    );
  } catch (err) {
    await stopped();
    throw err;
  }
  return registry;
}

/** The port the server prints once it listens. */
function listening(child: ChildProcess, exited: Promise<void>): Promise<number> {
  return new Promise((res, rej) => {
    let out = '';
    const timer = setTimeout(() => rej(new Error(`no port within ${STARTUP_MS / 1000} s`)), STARTUP_MS);
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      const match = out.match(/^(\d+)\n/);
      if (match) {
        clearTimeout(timer);
        res(Number(match[1]));
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      rej(new Error(`it exited (${child.exitCode ?? child.signalCode})`));
    });
  });
}

/** A registry for the length of `fn`, stopped however `fn` ends. */
export async function withRegistry<T>(options: RegistryOptions, fn: (registry: Registry) => Promise<T>): Promise<T> {
  const registry = await startRegistry(options);
  try {
    return await fn(registry);
  } finally {
    await registry.stop();
  }
}

/** `npm pack DIR` into `into` (default: a new temporary folder): the tarball's path. */
export async function pack(dir: string, options: { scripts?: boolean; into?: string } = {}): Promise<string> {
  const out = options.into ?? mkdtempSync(join(tmpdir(), 'firstboot-pack-'));
  const args = [
    'pack',
    resolve(dir),
    '--json',
    '--pack-destination',
    out,
    ...(options.scripts === false ? ['--ignore-scripts'] : []),
  ];
  const [result] = lastJson(await npm(args, out)) as { filename: string }[];
  return join(out, result.filename);
}

let packed: Promise<string> | undefined;

/**
 * `npm pack` of the checkout as it is built (`npm run build` first, as `npm test` and `npm run test:vm` do),
 * once per process: what `publishCheckout` sends, byte for byte, without rebuilding dist/ under a CLI
 * the test may be running. For tests that start many registries: `registry.publish(await packCheckout())`.
 */
export function packCheckout(): Promise<string> {
  if (!existsSync(join(CHECKOUT, 'dist/firstboot.js')))
    return Promise.reject(new Error('dist/ is not built: npm run build first'));
  packed ??= pack(CHECKOUT, { scripts: false });
  return packed;
}
