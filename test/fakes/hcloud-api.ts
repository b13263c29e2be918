// A fake Hetzner Cloud API on loopback: real HTTP, Hetzner's error format, state for the endpoints
// firstboot uses, actions that run asynchronously, and switches for the failures tests need.
// Every request is recorded with its raw body so tests can assert on exact bytes and check them
// against the OpenAPI description (openapi-check.ts). Addresses come from the documentation
// ranges (192.0.2.0/24, 2001:db8::/32): nothing is ever contacted.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type {
  Action,
  Firewall,
  FirewallRule,
  Image,
  Labels,
  Location,
  Server,
  ServerType,
  SshKey,
} from '../../hcloud/types';
import { datacenterOf, locations, serverTypes, systemImages } from './hcloud-catalogue';
import { parseLabelSelector } from './label-selector';

export interface RecordedRequest {
  method: string;
  /** Path below the API base, e.g. `/servers/3`. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  status: number;
  /** the JSON the fake answered with */
  response?: unknown;
}

export interface FakeServer {
  id: number;
  name: string;
  status: Server['status'];
  created: string;
  labels: Labels;
  serverType: ServerType;
  location: Location;
  image: Image;
  ipv4: string;
  ipv6: string;
  userData: string | undefined;
  sshKeys: number[];
  firewalls: number[];
}

interface InjectedFailure {
  method?: string;
  path?: RegExp;
  status: number;
  code: string;
  message: string;
  /** Close the connection without an answer instead. */
  drop?: boolean;
  /** Carry the request out first, then fail: an answer lost on the way back. */
  afterHandling?: boolean;
}

export interface FakeHcloudOptions {
  token?: string;
  /** Progress updates an action goes through before it finishes. */
  actionSteps?: number;
  actionTickMs?: number;
  /** Called once a server exists, with the user_data exactly as received (e.g. to boot a VM). */
  onServerCreated?: (server: FakeServer, userData: string | undefined) => void | Promise<void>;
}

/** Hetzner counts user_data in UTF-8 bytes */
const userDataLimit = 32_768;
const rateLimit = 3600;

export type FakeHcloud = Awaited<ReturnType<typeof startFakeHcloud>>;

export async function startFakeHcloud(options: FakeHcloudOptions = {}) {
  const token = options.token ?? 'fake-token-' + randomBytes(8).toString('hex');
  const steps = options.actionSteps ?? 2;
  const tickMs = options.actionTickMs ?? 15;

  const requests: RecordedRequest[] = [];
  const servers = new Map<number, FakeServer>();
  const sshKeys = new Map<number, SshKey>();
  const images = new Map<number, Image>(systemImages.map((i) => [i.id, structuredClone(i)]));
  const firewalls = new Map<number, Firewall>();
  const actions = new Map<number, Action>();
  const failedActions = new Map<string, { code: string; message: string }>();
  const failures: InjectedFailure[] = [];
  const hooks: Promise<void>[] = [];
  let rateLimited = 0;
  let ignoringAcpi = false;
  let nextId = 1000;
  let addressCounter = 0;
  const timers = new Set<NodeJS.Timeout>();
  const newId = () => ++nextId;
  const now = () => new Date().toISOString();

  // ---- actions ---------------------------------------------------------------------------------

  /** Starts an action that reaches 100% after `steps` ticks, then runs the matching callback. */
  function startAction(
    command: string,
    resources: { id: number; type: string }[],
    done: { success?: () => void; error?: () => void } = {},
    extraTicks = 0,
  ): Action {
    const action: Action = {
      id: newId(),
      command,
      status: 'running',
      progress: 0,
      started: now(),
      finished: null,
      resources,
      error: null,
    };
    actions.set(action.id, action);
    const failure = failedActions.get(command);
    failedActions.delete(command);
    let tick = 0;
    const total = steps + extraTicks;
    const timer = setInterval(() => {
      tick++;
      if (tick < total) {
        action.progress = Math.floor((100 * tick) / total);
        return;
      }
      clearInterval(timer);
      action.finished = now();
      if (failure) {
        action.status = 'error';
        action.error = failure;
        done.error?.();
      } else {
        action.status = 'success';
        action.progress = 100;
        done.success?.();
      }
    }, tickMs);
    timers.add(timer);
    return { ...action };
  }

  // ---- JSON shapes -----------------------------------------------------------------------------

  function serverJson(s: FakeServer) {
    return {
      id: s.id,
      name: s.name,
      status: s.status,
      created: s.created,
      labels: s.labels,
      server_type: s.serverType,
      location: s.location,
      datacenter: datacenterOf(s.location),
      image: s.image,
      public_net: {
        ipv4: { id: s.id + 500_000, ip: s.ipv4, blocked: false, dns_ptr: `static.${s.ipv4}.clients.your-server.de` },
        ipv6: { id: s.id + 600_000, ip: s.ipv6, blocked: false, dns_ptr: [] },
        floating_ips: [],
        firewalls: s.firewalls.map((id) => ({ id, status: 'applied' })),
      },
      private_net: [],
      iso: null,
      rescue_enabled: false,
      locked: false,
      backup_window: null,
      outgoing_traffic: 0,
      ingoing_traffic: 0,
      included_traffic: 21990232555520,
      protection: { delete: false, rebuild: false },
      volumes: [],
      load_balancers: [],
      primary_disk_size: s.serverType.disk,
      placement_group: null,
    };
  }

  // ---- routes ----------------------------------------------------------------------------------

  type Handler = (req: { params: number[]; query: URLSearchParams; body: any }) => Reply;
  type Reply = { status: number; json?: unknown };
  const routes: [string, RegExp, Handler][] = [];
  const on = (method: string, pattern: string, handler: Handler) =>
    routes.push([method, new RegExp('^' + pattern.replace(/\{id\}/g, '([^/]+)') + '$'), handler]);

  const ok = (json: unknown, status = 200): Reply => ({ status, json });
  const fail = (status: number, code: string, message: string, details: unknown = null): Reply => ({
    status,
    json: { error: { code, message, details } },
  });
  const invalid = (field: string, message: string) =>
    fail(422, 'invalid_input', `invalid input in field '${field}'`, { fields: [{ name: field, messages: [message] }] });
  const notFound = (what: string, id: number) => fail(404, 'not_found', `${what} with ID '${id}' not found`);

  /** Hetzner's checks on firewall rules, as far as firstboot's requests can meet them */
  const badRules = (rules: FirewallRule[]) => {
    for (const rule of rules) {
      if (!['in', 'out'].includes(rule.direction)) return invalid('rules', 'direction must be in or out');
      if (!['tcp', 'udp', 'icmp', 'esp', 'gre'].includes(rule.protocol)) return invalid('rules', 'unknown protocol');
      if ((rule.protocol === 'tcp' || rule.protocol === 'udp') && !rule.port)
        return invalid('rules', 'port is required for tcp and udp');
      if (rule.direction === 'in' && !rule.source_ips?.length)
        return invalid('rules', 'source_ips is required for direction in');
    }
    return undefined;
  };
  const storedRule = (rule: FirewallRule): FirewallRule => ({
    description: null,
    port: null,
    source_ips: [],
    destination_ips: [],
    ...rule,
  });

  on('GET', '/servers', ({ query }) =>
    listReply('servers', [...servers.values()].map(serverJson), query, ['name', 'status']),
  );
  on('GET', '/servers/{id}', ({ params }) => {
    const s = servers.get(params[0]!);
    return s ? ok({ server: serverJson(s) }) : notFound('server', params[0]!);
  });
  on('POST', '/servers', ({ body }) => createServerReply(body));
  on('DELETE', '/servers/{id}', ({ params }) => {
    const s = servers.get(params[0]!);
    if (!s) return notFound('server', params[0]!);
    s.status = 'deleting';
    const action = startAction('delete_server', [{ id: s.id, type: 'server' }], {
      success: () => servers.delete(s.id),
    });
    return ok({ action });
  });
  on('GET', '/servers/{id}/actions/{id}', ({ params }) => {
    const action = actions.get(params[1]!);
    return action && action.resources.some((r) => r.id === params[0]) ? ok({ action }) : notFound('action', params[1]!);
  });

  /** Hetzner answers 423 locked to an action on a server while another of its actions runs. */
  const locked = (id: number) =>
    [...actions.values()].some(
      (a) => a.status === 'running' && a.resources.some((r) => r.type === 'server' && r.id === id),
    )
      ? fail(423, 'locked', 'server is locked: another action is running')
      : undefined;

  function powerAction(command: string, during: Server['status'], after: Server['status']): Handler {
    return ({ params }) => {
      const s = servers.get(params[0]!);
      if (!s) return notFound('server', params[0]!);
      const busy = locked(s.id);
      if (busy) return busy;
      const before = s.status;
      s.status = during;
      const action = startAction(command, [{ id: s.id, type: 'server' }], {
        success: () => (s.status = after),
        error: () => (s.status = before),
      });
      return ok({ action }, 201);
    };
  }
  on('POST', '/servers/{id}/actions/poweron', powerAction('start_server', 'starting', 'running'));
  on('POST', '/servers/{id}/actions/poweroff', powerAction('stop_server', 'stopping', 'off'));
  // Hetzner's shutdown action only sends ACPI; the fake's guest obeys unless a test says otherwise.
  on('POST', '/servers/{id}/actions/shutdown', (request) =>
    ignoringAcpi
      ? powerAction('shutdown_server', 'running', 'running')(request)
      : powerAction('shutdown_server', 'stopping', 'off')(request),
  );

  on('POST', '/servers/{id}/actions/change_type', ({ params, body }) => {
    const s = servers.get(params[0]!);
    if (!s) return notFound('server', params[0]!);
    if (typeof body?.server_type !== 'string') return invalid('server_type', 'Missing data for required field.');
    if (typeof body?.upgrade_disk !== 'boolean') return invalid('upgrade_disk', 'Missing data for required field.');
    const type = byNameOrId(serverTypes, body.server_type);
    if (!type) return invalid('server_type', `server type ${body.server_type} not found`);
    const busy = locked(s.id);
    if (busy) return busy;
    if (s.status !== 'off') return fail(409, 'server_not_stopped', 'the action requires a stopped server');
    if (type.architecture !== s.serverType.architecture || type.disk < s.serverType.disk) {
      return fail(422, 'invalid_server_type', `server type ${type.name} does not fit for this server`);
    }
    s.status = 'migrating';
    const action = startAction('change_server_type', [{ id: s.id, type: 'server' }], {
      success: () => {
        s.serverType = type;
        s.status = 'off';
      },
      error: () => (s.status = 'off'),
    });
    return ok({ action }, 201);
  });

  on('POST', '/servers/{id}/actions/create_image', ({ params, body }) => {
    const s = servers.get(params[0]!);
    if (!s) return notFound('server', params[0]!);
    const type = body?.type ?? 'snapshot';
    if (type !== 'snapshot' && type !== 'backup') return invalid('type', 'must be snapshot or backup');
    const labelProblem = checkLabels(body?.labels);
    if (labelProblem) return labelProblem;
    const busy = locked(s.id);
    if (busy) return busy;
    const image: Image & Record<string, unknown> = {
      id: newId(),
      type,
      status: 'creating',
      name: null,
      description: body?.description ?? `image of ${s.name}`,
      architecture: s.serverType.architecture,
      os_flavor: s.image.os_flavor,
      os_version: s.image.os_version,
      created: now(),
      created_from: { id: s.id, name: s.name },
      image_size: null,
      disk_size: s.serverType.disk,
      deprecated: null,
      labels: body?.labels ?? {},
      bound_to: type === 'backup' ? s.id : null,
      deleted: null,
      protection: { delete: false },
      rapid_deploy: false,
    };
    images.set(image.id, image);
    const action = startAction(
      'create_image',
      [
        { id: s.id, type: 'server' },
        { id: image.id, type: 'image' },
      ],
      {
        success: () => {
          image.status = 'available';
          image.image_size = 1.2;
        },
        // A failed snapshot leaves nothing behind on Hetzner either.
        error: () => images.delete(image.id),
      },
    );
    return ok({ image, action }, 201);
  });

  // the actions asked for by id, and no pagination: the one list the description gives no meta
  on('GET', '/actions', ({ query }) =>
    ok({
      actions: query
        .getAll('id')
        .map((id) => actions.get(Number(id)))
        .filter(Boolean),
    }),
  );
  on('GET', '/actions/{id}', ({ params }) => {
    const action = actions.get(params[0]!);
    return action ? ok({ action }) : notFound('action', params[0]!);
  });

  on('GET', '/ssh_keys', ({ query }) => listReply('ssh_keys', [...sshKeys.values()], query, ['name', 'fingerprint']));
  on('GET', '/ssh_keys/{id}', ({ params }) => {
    const key = sshKeys.get(params[0]!);
    return key ? ok({ ssh_key: key }) : notFound('ssh_key', params[0]!);
  });
  on('DELETE', '/ssh_keys/{id}', ({ params }) =>
    sshKeys.delete(params[0]!) ? { status: 204 } : notFound('ssh_key', params[0]!),
  );
  on('POST', '/ssh_keys', ({ body }) => {
    if (typeof body?.name !== 'string' || !body.name) return invalid('name', 'Missing data for required field.');
    if (typeof body?.public_key !== 'string') return invalid('public_key', 'Missing data for required field.');
    const fingerprint = md5Fingerprint(body.public_key);
    if (!fingerprint) return invalid('public_key', 'invalid public key');
    const labelProblem = checkLabels(body.labels);
    if (labelProblem) return labelProblem;
    const taken = [...sshKeys.values()];
    if (taken.some((k) => k.name === body.name)) return uniqueness('name', 'SSH key with the same name already exists');
    if (taken.some((k) => k.fingerprint === fingerprint)) {
      return uniqueness('public_key', 'SSH key with the same fingerprint already exists');
    }
    const key: SshKey = {
      id: newId(),
      name: body.name,
      fingerprint,
      public_key: body.public_key.trim(),
      labels: body.labels ?? {},
      created: now(),
    };
    sshKeys.set(key.id, key);
    return ok({ ssh_key: key }, 201);
  });

  on('GET', '/images', ({ query }) => {
    let list = [...images.values()];
    for (const field of ['type', 'architecture', 'status'] as const) {
      const wanted = query.getAll(field);
      if (wanted.length) list = list.filter((i) => wanted.includes(String(i[field])));
    }
    return listReply('images', list, query, ['name']);
  });
  on('GET', '/images/{id}', ({ params }) => {
    const image = images.get(params[0]!);
    return image ? ok({ image }) : notFound('image', params[0]!);
  });
  on('DELETE', '/images/{id}', ({ params }) =>
    images.delete(params[0]!) ? { status: 204 } : notFound('image', params[0]!),
  );

  on('GET', '/firewalls', ({ query }) => listReply('firewalls', [...firewalls.values()], query, ['name']));
  on('POST', '/firewalls', ({ body }) => {
    if (typeof body?.name !== 'string' || !body.name) return invalid('name', 'Missing data for required field.');
    if ([...firewalls.values()].some((f) => f.name === body.name))
      return uniqueness('name', 'firewall name is already used');
    const rules: FirewallRule[] = body.rules ?? [];
    const wrong = badRules(rules);
    if (wrong) return wrong;
    const applyTo: { type: 'server'; server: { id: number } }[] = body.apply_to ?? [];
    for (const target of applyTo) {
      if (!servers.has(target.server?.id)) return invalid('apply_to', `server ${target.server?.id} not found`);
    }
    const firewall: Firewall = {
      id: newId(),
      name: body.name,
      labels: body.labels ?? {},
      created: now(),
      applied_to: applyTo,
      rules: rules.map(storedRule),
    };
    firewalls.set(firewall.id, firewall);
    const applied = applyTo.map((t) =>
      startAction(
        'apply_firewall',
        [
          { id: firewall.id, type: 'firewall' },
          { id: t.server.id, type: 'server' },
        ],
        {
          success: () => servers.get(t.server.id)?.firewalls.push(firewall.id),
        },
      ),
    );
    return ok({ firewall, actions: applied }, 201);
  });
  on('POST', '/firewalls/{id}/actions/set_rules', ({ params, body }) => {
    const firewall = firewalls.get(params[0]!);
    if (!firewall) return notFound('firewall', params[0]!);
    const rules: FirewallRule[] = body?.rules ?? [];
    const wrong = badRules(rules);
    if (wrong) return wrong;
    const set = startAction('set_firewall_rules', [{ id: firewall.id, type: 'firewall' }], {
      success: () => (firewall.rules = rules.map(storedRule)),
    });
    const applied = [...servers.values()]
      .filter((s) => s.firewalls.includes(firewall.id))
      .map((s) =>
        startAction('apply_firewall', [
          { id: firewall.id, type: 'firewall' },
          { id: s.id, type: 'server' },
        ]),
      );
    return ok({ actions: [set, ...applied] }, 201);
  });
  on('DELETE', '/firewalls/{id}', ({ params }) => {
    const firewall = firewalls.get(params[0]!);
    if (!firewall) return notFound('firewall', params[0]!);
    if ([...servers.values()].some((s) => s.firewalls.includes(firewall.id))) {
      return fail(422, 'resource_in_use', 'firewall is still applied to a resource');
    }
    firewalls.delete(firewall.id);
    return { status: 204 };
  });

  on('GET', '/server_types', ({ query }) => listReply('server_types', serverTypes, query, ['name']));
  on('GET', '/server_types/{id}', ({ params }) => {
    const type = serverTypes.find((t) => t.id === params[0]);
    return type ? ok({ server_type: type }) : notFound('server_type', params[0]!);
  });
  on('GET', '/locations', ({ query }) => listReply('locations', locations, query, ['name']));
  on('GET', '/locations/{id}', ({ params }) => {
    const location = locations.find((l) => l.id === params[0]);
    return location ? ok({ location }) : notFound('location', params[0]!);
  });

  function uniqueness(field: string, message: string): Reply {
    return fail(409, 'uniqueness_error', message, { fields: [{ name: field }] });
  }

  function createServerReply(body: any): Reply {
    if (typeof body?.name !== 'string' || body.name === '') return invalid('name', 'Missing data for required field.');
    // Like Hetzner, take references as names or IDs, and IDs as numbers too (the hcloud CLI sends them so).
    for (const field of ['server_type', 'image', 'location']) {
      if (typeof body[field] === 'number') body[field] = String(body[field]);
      if (field !== 'location' && (typeof body[field] !== 'string' || body[field] === '')) {
        return invalid(field, 'Missing data for required field.');
      }
    }
    if (!/^(?=.{1,63}$)[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(body.name))
      return invalid('name', 'invalid hostname');
    const type = byNameOrId(serverTypes, body.server_type);
    if (!type) return invalid('server_type', `server type ${body.server_type} not found`);
    const location = body.location === undefined ? locations[0]! : byNameOrId(locations, body.location);
    if (!location) return invalid('location', `location ${body.location} not found`);
    if (!type.locations.some((l) => l.id === location.id)) {
      return fail(412, 'resource_unavailable', `server type ${type.name} is not available in ${location.name}`);
    }
    const image = /^\d+$/.test(body.image)
      ? images.get(Number(body.image))
      : [...images.values()].find((i) => i.name === body.image && i.architecture === type.architecture);
    if (!image || image.status !== 'available') return invalid('image', `image ${body.image} not found`);
    if (image.architecture !== type.architecture) return invalid('image', 'image and server type architectures differ');
    if (body.user_data !== undefined && typeof body.user_data !== 'string')
      return invalid('user_data', 'Not a valid string.');
    if (typeof body.user_data === 'string' && Buffer.byteLength(body.user_data) > userDataLimit) {
      return invalid('user_data', `Longer than maximum length ${userDataLimit}.`);
    }
    const keyIds: number[] = [];
    for (const ref of body.ssh_keys ?? []) {
      const key = [...sshKeys.values()].find((k) => k.name === ref || String(k.id) === String(ref));
      if (!key) return invalid('ssh_keys', `SSH key ${ref} not found`);
      keyIds.push(key.id);
    }
    const firewallIds: number[] = [];
    for (const ref of body.firewalls ?? []) {
      if (!firewalls.has(ref?.firewall)) return invalid('firewalls', `firewall ${ref?.firewall} not found`);
      firewallIds.push(ref.firewall);
    }
    const labelProblem = checkLabels(body.labels);
    if (labelProblem) return labelProblem;
    if ([...servers.values()].some((s) => s.name === body.name))
      return uniqueness('name', 'server name is already used');

    const id = newId();
    const n = addressCounter++;
    const server: FakeServer = {
      id,
      name: body.name,
      status: 'initializing',
      created: now(),
      labels: body.labels ?? {},
      serverType: type,
      location,
      image,
      ipv4: `192.0.2.${10 + (n % 240)}`,
      ipv6: `2001:db8:${(n + 1).toString(16)}::/64`,
      userData: body.user_data,
      sshKeys: keyIds,
      firewalls: firewallIds,
    };
    servers.set(id, server);
    const start = body.start_after_create !== false;
    const action = startAction('create_server', [{ id, type: 'server' }], {
      success: () => {
        if (server.status === 'initializing') server.status = start ? 'starting' : 'off';
      },
      error: () => servers.delete(id),
    });
    const nextActions = start
      ? [startAction('start_server', [{ id, type: 'server' }], { success: () => (server.status = 'running') }, 1)]
      : [];
    if (options.onServerCreated) hooks.push(Promise.resolve(options.onServerCreated(server, body.user_data)));
    return ok(
      {
        server: serverJson(server),
        action,
        next_actions: nextActions,
        root_password: keyIds.length ? null : randomBytes(12).toString('base64url'),
      },
      201,
    );
  }

  function listReply(key: string, all: unknown[], query: URLSearchParams, filters: string[]): Reply {
    let items = all as Record<string, any>[];
    for (const field of filters) {
      const wanted = query.getAll(field);
      if (wanted.length) items = items.filter((i) => wanted.includes(String(i[field])));
    }
    const selector = query.get('label_selector');
    if (selector) {
      const matches = parseLabelSelector(selector);
      if (matches instanceof Error) return invalid('label_selector', matches.message);
      items = items.filter((i) => matches(i.labels ?? {}));
    }
    const page = Number(query.get('page') ?? 1);
    const perPage = Number(query.get('per_page') ?? 25);
    if (!Number.isInteger(page) || page < 1) return invalid('page', 'must be a positive integer');
    if (!Number.isInteger(perPage) || perPage < 1 || perPage > 50)
      return invalid('per_page', 'must be between 1 and 50');
    const lastPage = Math.max(1, Math.ceil(items.length / perPage));
    return ok({
      [key]: items.slice((page - 1) * perPage, page * perPage),
      meta: {
        pagination: {
          page,
          per_page: perPage,
          total_entries: items.length,
          last_page: lastPage,
          previous_page: page > 1 ? page - 1 : null,
          next_page: page < lastPage ? page + 1 : null,
        },
      },
    });
  }

  // ---- HTTP ------------------------------------------------------------------------------------

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
    requests.push(record);
    const reply = answer(record);
    if (reply === 'drop') {
      record.status = -1;
      return req.socket.destroy();
    }
    record.status = reply.status;
    record.response = reply.json;
    send(res, reply);
  });
  let remaining = rateLimit;

  function answer(r: RecordedRequest): Reply | 'drop' {
    if (r.headers.authorization !== `Bearer ${token}`) return fail(401, 'unauthorized', 'unable to authenticate');
    const injected = failures.findIndex(
      (f) => (!f.method || f.method === r.method) && (!f.path || f.path.test(r.path)),
    );
    if (injected >= 0) {
      const [f] = failures.splice(injected, 1);
      if (f!.afterHandling) route(r);
      return f!.drop ? 'drop' : fail(f!.status, f!.code, f!.message);
    }
    if (rateLimited > 0) {
      rateLimited--;
      return fail(429, 'rate_limit_exceeded', 'limit of 3600 requests per hour reached');
    }
    remaining = Math.max(0, remaining - 1);
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
    const reset = Math.floor(Date.now() / 1000) + (limited ? 2 : rateLimit - remaining);
    res.setHeader('RateLimit-Limit', String(rateLimit));
    res.setHeader('RateLimit-Remaining', String(limited ? 0 : remaining));
    res.setHeader('RateLimit-Reset', String(reset));
    if (reply.json === undefined) return res.writeHead(reply.status).end();
    res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.json));
  }

  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    token,
    requests,
    servers,
    sshKeys,
    images,
    firewalls,
    actions,
    /** The next action with this command (e.g. `create_image`, `change_server_type`) ends in error. */
    failNextAction(command: string, error = { code: 'action_failed', message: 'action failed' }) {
      failedActions.set(command, error);
    },
    /** The next matching request gets this error (or no answer at all with `drop`). */
    failNextRequest(failure: Partial<InjectedFailure> & { times?: number }) {
      const full: InjectedFailure = {
        status: 500,
        code: 'server_error',
        message: 'internal server error',
        ...failure,
      };
      for (let i = 0; i < (failure.times ?? 1); i++) failures.push(full);
    },
    /** The next `count` requests are answered 429 rate_limit_exceeded. */
    rateLimitNext(count: number) {
      rateLimited = count;
    },
    /** Guests stay running after a shutdown action, as an OS without ACPI support does. */
    ignoreAcpiShutdown(ignore = true) {
      ignoringAcpi = ignore;
    },
    /** What a guest does by itself, e.g. powering off after building an image. */
    setServerStatus(id: number, status: Server['status']) {
      const s = servers.get(id);
      if (!s) throw new Error(`no server ${id}`);
      s.status = status;
    },
    addSshKey(name: string, publicKey: string, labels: Labels = {}) {
      const key: SshKey = {
        id: newId(),
        name,
        public_key: publicKey,
        fingerprint: md5Fingerprint(publicKey)!,
        labels,
        created: now(),
      };
      sshKeys.set(key.id, key);
      return key;
    },
    /** Resolves when every onServerCreated hook has finished; rejects with the first failure. */
    hooksSettled: () => Promise.all(hooks).then(() => undefined),
    async close() {
      for (const timer of timers) clearInterval(timer);
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

function byNameOrId<T extends { id: number; name: string }>(list: T[], ref: string): T | undefined {
  return list.find((item) => item.name === ref || String(item.id) === ref);
}

/** Hetzner's fingerprint: MD5 of the key blob, colon-separated hex. */
export function md5Fingerprint(publicKey: string): string | undefined {
  const blob = publicKey.trim().split(/\s+/)[1];
  if (!blob || !/^[A-Za-z0-9+/]+=*$/.test(blob)) return undefined;
  return createHash('md5').update(Buffer.from(blob, 'base64')).digest('hex').match(/../g)!.join(':');
}

const labelValue = /^(|[a-z0-9A-Z]|[a-z0-9A-Z][a-z0-9A-Z._-]{0,61}[a-z0-9A-Z])$/;
const labelKey =
  /^([a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\/)?([a-z0-9A-Z]|[a-z0-9A-Z][a-z0-9A-Z._-]{0,61}[a-z0-9A-Z])$/;

function checkLabels(labels: unknown) {
  if (labels === undefined) return undefined;
  if (typeof labels !== 'object' || labels === null) return labelError('labels must be an object');
  for (const [key, value] of Object.entries(labels)) {
    if (!labelKey.test(key)) return labelError(`invalid label key '${key}'`);
    if (typeof value !== 'string' || !labelValue.test(value))
      return labelError(`invalid label value '${String(value)}'`);
  }
  return undefined;
}

function labelError(message: string) {
  return {
    status: 422,
    json: { error: { code: 'invalid_input', message, details: { fields: [{ name: 'labels', messages: [message] }] } } },
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
