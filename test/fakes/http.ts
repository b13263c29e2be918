// A real HTTP server on loopback that answers each request with the next handler (the last one for
// ever): a mirror that fails, cuts, stalls, then serves. For the payload's downloads.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export const send =
  (body: Buffer): Handler =>
  (_req, res) =>
    res.writeHead(200, { 'content-length': body.length }).end(body);
export const status =
  (code: number): Handler =>
  (_req, res) =>
    res.writeHead(code).end();
export const half = (body: Buffer) => Math.floor(body.length / 2);
/** promises the whole body, sends half, then hangs up */
export const cut =
  (body: Buffer): Handler =>
  (_req, res) => {
    res.writeHead(200, { 'content-length': body.length }).write(body.subarray(0, half(body)));
    setTimeout(() => res.socket?.destroy(), 50);
  };
/** answers a Range request with the rest */
export const rest =
  (body: Buffer): Handler =>
  (req, res) => {
    const from = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1]);
    res.writeHead(206, {
      'content-length': body.length - from,
      'content-range': `bytes ${from}-${body.length - 1}/${body.length}`,
    });
    res.end(body.subarray(from));
  };
export const silent: Handler = () => {};
export const headersOnly: Handler = (_req, res) => res.writeHead(200, { 'content-length': 10 }).flushHeaders();

/** The server, its base URL (under `path`) and the requests it got; `stop` it when the test ends. */
export async function httpServer(handlers: Handler[], path = '/npm/') {
  const requests: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    requests.push(req);
    handlers[Math.min(requests.length, handlers.length) - 1](req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const stop = () => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  };
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`, requests, stop };
}
