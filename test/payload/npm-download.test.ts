// lib/npm.ts's downloads from a flaky mirror on loopback: retries and their backoff, resumed and restarted
// downloads, stalls, a cap on the size, and what is left behind. Time is fake only through the injected sleep.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fetchPackages } from '../../payload/lib/npm';
import { rejects } from '../rejects';
import { cut, half, headersOnly, rest, send, silent, status, type Handler } from '../fakes/http';
import { cleanUp, BIG, ZX, zx, registry, machine, mode, list } from './npm-setup';

test.after.each(cleanUp);

test('retries a 404 with a doubling backoff', async () => {
  const server = await registry(status(404), status(404), send(ZX));
  const m = machine(server.url);
  await fetchPackages([zx()], m.options);
  assert.equal(m.slept, [1000, 2000]);
  assert.equal(m.lines, [
    'zx@8.8.5: download failed (HTTP 404), retrying in 1 s',
    'zx@8.8.5: download failed (HTTP 404), retrying in 2 s',
    'zx@8.8.5: installed (3 files)',
  ]);
});

test('resumes a cut download with a Range request', async () => {
  const server = await registry(cut(ZX), rest(ZX));
  const m = machine(server.url);
  await fetchPackages([zx()], m.options);
  assert.is(server.requests[0].headers.range, undefined);
  assert.is(server.requests[1].headers.range, `bytes=${half(ZX)}-`);
  assert.match(m.lines[0], /^zx@8\.8\.5: download failed \(.+\), retrying in 1 s$/);
  assert.ok(readFileSync(join(m.modules, 'zx/build/big.bin')).equals(BIG));
});

test('starts over when the server ignores Range', async () => {
  const server = await registry(cut(ZX), send(ZX));
  const m = machine(server.url);
  await fetchPackages([zx()], m.options);
  assert.ok(server.requests[1].headers.range);
  assert.ok(readFileSync(join(m.modules, 'zx/build/big.bin')).equals(BIG));
});

test('aborts and retries a stalled download', async () => {
  const server = await registry(silent, headersOnly, send(ZX));
  const m = machine(server.url, { stallMs: 100 });
  await fetchPackages([zx()], m.options);
  assert.is(server.requests.length, 3);
  assert.equal(m.lines.slice(0, 2), [
    'zx@8.8.5: download failed (no data for 0.1 s), retrying in 1 s',
    'zx@8.8.5: download failed (no data for 0.1 s), retrying in 2 s',
  ]);
});

test('gives up after retryForMs, keeping the part file to resume', async () => {
  const server = await registry(cut(ZX), status(503));
  const m = machine(server.url, { retryForMs: 5000 });
  const pkg = { name: '@scope/x', version: '1.0.0', integrity: zx().integrity };
  const err = await rejects(() => fetchPackages([pkg], m.options), /not downloaded/);
  assert.is(err.message, `@scope/x@1.0.0: not downloaded from ${server.url}@scope/x/-/x-1.0.0.tgz in 5 s: HTTP 503`);
  assert.equal(m.slept, [1000, 2000]);
  assert.is(server.requests[2].headers.range, `bytes=${half(ZX)}-`);
  const part = join(m.root, '.downloads/@scope+x@1.0.0.tgz.part');
  assert.is(statSync(part).size, half(ZX));
  assert.is(mode(part), 0o600);
  assert.equal(list(m.modules), []);
});

test('keeps retrying for 10 minutes by default, backoff capped at 30 s', async () => {
  const server = await registry(status(503));
  const m = machine(server.url);
  await rejects(() => fetchPackages([zx()], m.options), /^zx@8\.8\.5: not downloaded from .* in 10 minutes: HTTP 503$/);
  assert.equal(m.slept.slice(0, 7), [1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  assert.ok(m.slept.reduce((sum, ms) => sum + ms) <= 600_000);
  assert.is(server.requests.length, m.slept.length + 1);
});

test('a 403 fails at once', async () => {
  const server = await registry(status(403));
  const m = machine(server.url);
  await rejects(
    () => fetchPackages([zx()], m.options),
    /^zx@8\.8\.5: HTTP 403 from http:\/\/127\.0\.0\.1:\d+\/npm\/zx\/-\/zx-8\.8\.5\.tgz$/,
  );
  assert.is(server.requests.length, 1);
  assert.equal(m.slept, []);
});

/** sends `chunks` chunks of 16 KiB with no length announced, then ends (bounded: a cap must stop it first) */
const endless =
  (chunks: number): Handler =>
  (_req, res) => {
    res.writeHead(200);
    for (let i = 0; i < chunks; i++) res.write(Buffer.alloc(16 * 1024));
    res.end();
  };

test('a download that grows past its cap is refused at once and leaves no part file', async () => {
  const server = await registry(endless(64));
  const m = machine(server.url, { maxBytes: 100 * 1024 });
  await rejects(
    () => fetchPackages([zx()], m.options),
    /^zx@8\.8\.5: http:\/\/127\.0\.0\.1:\d+\/npm\/zx\/-\/zx-8\.8\.5\.tgz sends more than 102400 bytes/,
  );
  assert.is(server.requests.length, 1);
  assert.equal(list(join(m.root, '.downloads')), []);
});

test('a final error after a cut download removes the part file', async () => {
  const server = await registry(cut(ZX), status(403));
  const m = machine(server.url);
  await rejects(() => fetchPackages([zx()], m.options), /HTTP 403/);
  assert.is(server.requests.length, 2);
  assert.equal(list(join(m.root, '.downloads')), []);
});

test.run();
