// lib/pieces.ts against a real HTTP server: firstboot's own pieces, fetched from a URL source (the file
// `firstboot pieces --out` writes) and checked against the plan's one digest before anything is written.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Plan } from '../../contract/plan';
import { piecesDigest, piecesFile } from '../../contract/pieces';
import { piecesTarball } from '../../generator/pieces-file';
import type { Payload } from '../../generator/pack';
import { fetchPieces, retryLater, unfetchedPieces } from '../../payload/pieces';
import { makeLog } from '../../payload/lib/log';
import { recordingShell } from '../fakes/shell';
import { cut, httpServer, rest, send, silent, status, type Handler } from '../fakes/http';
import { rejects } from '../rejects';
import { tgz } from '../fakes/tar';

const FILES = {
  'main.mjs': 'runner\n',
  'steps/ssh.mjs': 'ssh step\n',
  'steps/geoip.mjs': 'geoip step\n',
  'steps/report.mjs': 'report step\n',
  'daily-report.mjs': 'report\n',
  'lib/chunk-SHARED.mjs': 'shared\n'.repeat(3000),
  'steps/unused.mjs': 'a step this plan does not have\n',
  'pieces.json': JSON.stringify({
    main: ['main.mjs'],
    ssh: ['steps/ssh.mjs'],
    geoip: ['steps/geoip.mjs', 'lib/chunk-SHARED.mjs'],
    report: ['steps/report.mjs', 'lib/chunk-SHARED.mjs'],
    'daily-report': ['daily-report.mjs'],
    unused: ['steps/unused.mjs'],
  }),
};
/** what the plan below runs and the user-data did not carry */
const FETCHED = ['daily-report.mjs', 'lib/chunk-SHARED.mjs', 'steps/geoip.mjs', 'steps/report.mjs'];
const payload = (files: Record<string, string> = FILES): Payload => ({ files, pieces: {}, unpack: '' });
const VERSION = '9.9.9';
const TARBALL = piecesTarball(payload(), VERSION);

const cleanups: (() => unknown)[] = [];
test.after.each(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function source(...handlers: Handler[]) {
  const server = await httpServer(handlers, '/firstboot/');
  cleanups.push(server.stop);
  return server;
}

/** a server's payload folder holding what the user-data carried: the runner and the ssh step */
function server(url: string, digest = TARBALL.digest) {
  const root = mkdtempSync(join(tmpdir(), 'firstboot-pieces-'));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  const dir = join(root, 'payload');
  mkdirSync(join(dir, 'steps'), { recursive: true });
  writeFileSync(join(dir, 'main.mjs'), FILES['main.mjs']);
  writeFileSync(join(dir, 'steps/ssh.mjs'), FILES['steps/ssh.mjs']);
  const plan: Plan = {
    firstboot: VERSION,
    configHash: 'h',
    mode: 'boot',
    npm: { registry: 'http://registry.test/', packages: [] },
    pieces: { from: url, digest },
    steps: [
      { id: 'ssh' } as Plan['steps'][number],
      { id: 'geoip' } as Plan['steps'][number],
      { id: 'report' } as Plan['steps'][number],
    ],
  };
  const lines: string[] = [];
  const slept: number[] = [];
  const options = { root, log: (line: string) => lines.push(line), sleep: async (ms: number) => void slept.push(ms) };
  return { root, dir, plan: plan as Plan & { pieces: NonNullable<Plan['pieces']> }, lines, slept, options };
}

const files = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => statSync(join(dir, name)).isFile())
    .sort();
const CARRIED = ['main.mjs', 'steps/ssh.mjs'];

test(
  'firstboot pieces --out, served over HTTP: ' +
    "the plan's missing pieces land whole, root-only; the rest is untouched",
  async () => {
    const out = mkdtempSync(join(tmpdir(), 'firstboot-out-'));
    cleanups.push(() => rmSync(out, { recursive: true, force: true }));
    writeFileSync(join(out, TARBALL.name), TARBALL.data);
    const folder = createServer((req, res) => {
      const name = req.url!.replace(/^\/firstboot\//, '');
      if (!existsSync(join(out, name))) return res.writeHead(404).end();
      send(readFileSync(join(out, name)))(req, res);
    });
    await new Promise<void>((resolve) => folder.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => folder.close(resolve)));
    const s = server(`http://127.0.0.1:${(folder.address() as AddressInfo).port}/firstboot`);
    writeFileSync(join(s.dir, 'main.mjs'), 'the running runner\n');

    assert.is(await fetchPieces(s.plan, s.dir, s.options), 4);
    assert.equal(
      files(s.dir),
      [...CARRIED, ...FETCHED].sort(),
      'only what the plan runs: no other step, no pieces.json',
    );
    for (const name of FETCHED) {
      assert.is(readFileSync(join(s.dir, name), 'utf8'), FILES[name as keyof typeof FILES], name);
      assert.is(statSync(join(s.dir, name)).mode & 0o777, 0o600, name);
    }
    assert.is(
      readFileSync(join(s.dir, 'main.mjs'), 'utf8'),
      'the running runner\n',
      'a file already there is left alone',
    );
    assert.equal(readdirSync(join(s.root, '.downloads')), [], 'no part file left');
    assert.match(s.lines.join('\n'), /4 files added, all checked against sha512-/);
  },
);

test('the file is named by version and digest: versions share a folder', () => {
  assert.match(TARBALL.name, /^firstboot-9\.9\.9-pieces-[0-9a-f]{16}\.tgz$/);
  assert.is(TARBALL.name, piecesFile(VERSION, TARBALL.digest));
  assert.is(TARBALL.digest, piecesDigest(FILES));
  assert.is.not(piecesTarball(payload({ ...FILES, 'main.mjs': 'other\n' }), VERSION).name, TARBALL.name);
});

test('the same pieces make the same file, byte for byte', () => {
  assert.ok(piecesTarball(payload({ ...FILES }), VERSION).data.equals(TARBALL.data));
});

test("npm as the source: the firstboot package of the plan's version, from the plan's registry", async () => {
  const registry = await source(send(TARBALL.data));
  const s = server('npm');
  s.plan.npm.registry = registry.url;
  await fetchPieces(s.plan, s.dir, s.options);
  assert.is(registry.requests[0].url, `/firstboot/firstboot/-/firstboot-${VERSION}.tgz`);
  assert.ok(existsSync(join(s.dir, 'steps/geoip.mjs')));
});

/** a tarball laid out as the package, from entries the test chooses */
function tarball(entries: Record<string, string>): Buffer {
  return piecesTarball(payload(entries), VERSION).data;
}

const refusedCases: [string, () => Buffer, RegExp][] = [
  ['a changed byte', () => tarball({ ...FILES, 'steps/geoip.mjs': 'geoip stEp\n' }), /not the pieces this plan pins/],
  [
    'a missing piece',
    () => tarball(Object.fromEntries(Object.entries(FILES).filter(([n]) => n !== 'pieces.json'))),
    /not the pieces this plan pins/,
  ],
  ['an extra piece', () => tarball({ ...FILES, 'steps/extra.mjs': 'more\n' }), /not the pieces this plan pins/],
  [
    'a name that climbs out of the folder',
    () => tgz({ name: 'package/dist/payload/../../../../etc/cron.d/x', body: 'pwned' }),
    /unsafe tarball entry/,
  ],
  ['not a tarball at all', () => Buffer.from('<html>captive portal</html>'), /not firstboot's pieces: corrupt tarball/],
];

for (const [what, make, message] of refusedCases) {
  test(`${what}: refused, nothing written`, async () => {
    const served = await source(send(make()));
    const s = server(served.url);
    await rejects(() => fetchPieces(s.plan, s.dir, s.options), message);
    assert.equal(files(s.dir), CARRIED);
    assert.equal(readdirSync(join(s.root, '.downloads')), [], 'no part file left');
  });
}

test('a 404 (a folder not synced yet) and a cut body are retried, the cut one resumed', async () => {
  const served = await source(status(404), cut(TARBALL.data), rest(TARBALL.data));
  const s = server(served.url);
  await fetchPieces(s.plan, s.dir, s.options);
  assert.is(served.requests.length, 3);
  assert.match(String(served.requests[2].headers.range), /^bytes=\d+-$/);
  assert.equal(s.slept, [1000, 2000]);
  assert.ok(existsSync(join(s.dir, 'steps/geoip.mjs')));
});

test('a source that stalls: given up after the retry time, with why, and nothing written', async () => {
  const served = await source(silent);
  const s = server(served.url);
  await rejects(
    () => fetchPieces(s.plan, s.dir, { ...s.options, stallMs: 100, retryForMs: 250 }),
    /not downloaded from .* no data for 0\.1 s/,
  );
  assert.equal(files(s.dir), CARRIED);
});

test(
  'a source that cannot be reached: ' + 'the steps whose code is missing wait for it, saying why; a later run fetches',
  async () => {
    const served = await source(status(503), send(TARBALL.data));
    const s = server(served.url);
    const waiting = await unfetchedPieces(s.plan, s.dir, { ...s.options, retryForMs: 0, fetch: true });
    assert.match(
      waiting!,
      new RegExp(`^firstboot's pieces from ${served.url.replace(/[/.]/g, '\\$&')}: not downloaded from .*HTTP 503`),
    );
    assert.equal(files(s.dir), CARRIED);
    assert.is(await unfetchedPieces(s.plan, s.dir, { ...s.options, fetch: true }), undefined);
    assert.ok(existsSync(join(s.dir, 'daily-report.mjs')));
    // all there: no request at all
    assert.is(await unfetchedPieces(s.plan, s.dir, { ...s.options, fetch: true }), undefined);
    assert.is(served.requests.length, 2);
  },
);

test('check fetches nothing: it says the pieces are still to come', async () => {
  const served = await source(send(TARBALL.data));
  const s = server(served.url);
  assert.match(
    (await unfetchedPieces(s.plan, s.dir, { ...s.options, fetch: false }))!,
    /\(firstboot run fetches them\)$/,
  );
  assert.is(served.requests.length, 0);
});

test('a plan without a source never fetches', async () => {
  const s = server('npm');
  assert.is(await unfetchedPieces({ ...s.plan, pieces: undefined }, s.dir, { ...s.options, fetch: true }), undefined);
});

test('retryLater sets a transient timer for another run, and says so; one already set stays', async () => {
  const $ = recordingShell().on('systemd-run', {});
  const lines: string[] = [];
  await retryLater(
    $,
    makeLog((line) => lines.push(line)),
  );
  assert.equal($.commands, ['systemd-run --unit=firstboot-retry --on-active=15min /usr/local/sbin/firstboot run']);
  assert.match(lines.join('\n'), /runs again in 15 minutes/);
  $.on('systemd-run', { exitCode: 1, stderr: 'Unit firstboot-retry.timer was already loaded' });
  await retryLater(
    $,
    makeLog((line) => lines.push(line)),
  );
  assert.match(lines.at(-1)!, /already set/);
});

test.run();
