// A fake Hetzner Cloud API on loopback: real HTTP, Hetzner's error format, state for the endpoints
// firstboot uses, actions that run asynchronously, and switches for the failures tests need.
// Every request is recorded with its raw body so tests can assert on exact bytes and check them
// against the OpenAPI description (openapi-check.ts). Addresses come from the documentation
// ranges (192.0.2.0/24, 2001:db8::/32): nothing is ever contacted.
// The state and its actions are in hcloud-state.ts, the answers' format in hcloud-replies.ts, the routes in
// hcloud-servers.ts and hcloud-resources.ts; this file is the HTTP server and the switches tests use.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Labels, Server, SshKey } from '../../hcloud/api/types';
import { fail, invalid, md5Fingerprint, routeOn, type Reply, type Route } from './hcloud-replies';
import { resourceRoutes } from './hcloud-resources';
import { serverRoutes } from './hcloud-servers';
import {
  newId,
  newState,
  now,
  rateLimit,
  type FakeHcloudOptions,
  type InjectedFailure,
  type RecordedRequest,
} from './hcloud-state';

export type { FakeHcloudOptions, FakeServer, RecordedRequest } from './hcloud-state';
export { md5Fingerprint } from './hcloud-replies';

export type FakeHcloud = Awaited<ReturnType<typeof startFakeHcloud>>;

export async function startFakeHcloud(options: FakeHcloudOptions = {}) {
  const state = newState(options);
  const routes: Route[] = [];
  serverRoutes(state, routeOn(routes));
  resourceRoutes(state, routeOn(routes));

  const http = createServer(async (req, res) => {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://fake');
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname.replace(/^\/v1/, ''),
      query: url.searchParams,
      headers: req.headers,
      body,
      status: 0,
    };
    state.requests.push(record);
    const reply = answer(record);
    if (reply === 'drop') {
      record.status = -1;
      return req.socket.destroy();
    }
    record.status = reply.status;
    record.response = reply.json;
    send(res, reply);
  });

  function answer(r: RecordedRequest): Reply | 'drop' {
    if (r.headers.authorization !== `Bearer ${state.token}`) return fail(401, 'unauthorized', 'unable to authenticate');
    const injected = state.failures.findIndex(
      (f) => (!f.method || f.method === r.method) && (!f.path || f.path.test(r.path)),
    );
    if (injected >= 0) {
      const [f] = state.failures.splice(injected, 1);
      if (f!.afterHandling) route(r);
      return f!.drop ? 'drop' : fail(f!.status, f!.code, f!.message);
    }
    if (state.rateLimited > 0) {
      state.rateLimited--;
      return fail(429, 'rate_limit_exceeded', 'limit of 3600 requests per hour reached');
    }
    state.remaining = Math.max(0, state.remaining - 1);
    return route(r);
  }

  function route(r: RecordedRequest): Reply {
    let parsed: unknown;
    if (r.body.length) {
      try {
        parsed = JSON.parse(r.body.toString('utf8'));
      } catch {
        return fail(400, 'json_error', 'invalid JSON in request body');
      }
    }
    for (const [method, pattern, handler] of routes) {
      const m = pattern.exec(r.path);
      if (!m || method !== r.method) continue;
      const params = m.slice(1).map(Number);
      if (params.some((p) => !Number.isSafeInteger(p) || p < 1)) return invalid('id', 'invalid ID');
      return handler({ params, query: r.query, body: parsed });
    }
    return fail(404, 'not_found', `no route for ${r.method} ${r.path}`);
  }

  function send(res: ServerResponse, reply: Reply) {
    const limited = reply.status === 429;
    const reset = Math.floor(Date.now() / 1000) + (limited ? 2 : rateLimit - state.remaining);
    res.setHeader('RateLimit-Limit', String(rateLimit));
    res.setHeader('RateLimit-Remaining', String(limited ? 0 : state.remaining));
    res.setHeader('RateLimit-Reset', String(reset));
    if (reply.json === undefined) return res.writeHead(reply.status).end();
    res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.json));
  }

  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    token: state.token,
    requests: state.requests,
    servers: state.servers,
    sshKeys: state.sshKeys,
    images: state.images,
    firewalls: state.firewalls,
    actions: state.actions,
    /** The next action with this command (e.g. `create_image`, `change_server_type`) ends in error. */
    failNextAction(command: string, error = { code: 'action_failed', message: 'action failed' }) {
      state.failedActions.set(command, error);
    },
    /** The next matching request gets this error (or no answer at all with `drop`). */
    failNextRequest(failure: Partial<InjectedFailure> & { times?: number }) {
      const full: InjectedFailure = {
        status: 500,
        code: 'server_error',
        message: 'internal server error',
        ...failure,
      };
      for (let i = 0; i < (failure.times ?? 1); i++) state.failures.push(full);
    },
    /** The next `count` requests are answered 429 rate_limit_exceeded. */
    rateLimitNext(count: number) {
      state.rateLimited = count;
    },
    /** Guests stay running after a shutdown action, as an OS without ACPI support does. */
    ignoreAcpiShutdown(ignore = true) {
      state.ignoringAcpi = ignore;
    },
    /** What a guest does by itself, e.g. powering off after building an image. */
    setServerStatus(id: number, status: Server['status']) {
      const s = state.servers.get(id);
      if (!s) throw new Error(`no server ${id}`);
      s.status = status;
    },
    addSshKey(name: string, publicKey: string, labels: Labels = {}) {
      const key: SshKey = {
        id: newId(state),
        name,
        public_key: publicKey,
        fingerprint: md5Fingerprint(publicKey)!,
        labels,
        created: now(),
      };
      state.sshKeys.set(key.id, key);
      return key;
    },
    /** Resolves when every onServerCreated hook has finished; rejects with the first failure. */
    hooksSettled: () => Promise.all(state.hooks).then(() => undefined),
    async close() {
      for (const timer of state.timers) clearInterval(timer);
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
