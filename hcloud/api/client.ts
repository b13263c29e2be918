import { createTransport, type Query, type Transport, type TransportOptions } from './transport';
import { waitForAction, type WaitOptions } from './wait-for-action';
import type {
  Action,
  ChangeTypeRequest,
  CreateFirewallRequest,
  CreateFirewallResponse,
  CreateImageRequest,
  CreateImageResponse,
  CreateServerRequest,
  CreateServerResponse,
  CreateSshKeyRequest,
  Firewall,
  FirewallRule,
  Image,
  ListMeta,
  Location,
  Server,
  ServerType,
  SshKey,
} from './types';

export interface ClientOptions extends TransportOptions {
  /** Poll interval for actions; the hcloud CLI uses 500 ms too. */
  pollIntervalMs?: number;
}

export type HcloudClient = ReturnType<typeof createClient>;

/** The endpoints firstboot uses, one method each; list methods follow every page. */
export function createClient(options: ClientOptions) {
  const http = createTransport(options);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const pollIntervalMs = options.pollIntervalMs ?? 500;
  const list = <T>(path: string, key: string, query: Query = {}) => listAll<T>(http, path, key, query);
  const serverAction = (id: number, name: string, body?: unknown) =>
    http.request<{ action: Action }>('POST', `/servers/${id}/actions/${name}`, { body }).then((r) => r.action);

  return {
    servers: {
      create: (body: CreateServerRequest) => http.request<CreateServerResponse>('POST', '/servers', { body }),
      get: (id: number) => http.request<{ server: Server }>('GET', `/servers/${id}`).then((r) => r.server),
      list: (query: { name?: string; label_selector?: string } = {}) => list<Server>('/servers', 'servers', query),
      delete: (id: number) => http.request<{ action: Action }>('DELETE', `/servers/${id}`).then((r) => r.action),
      powerOn: (id: number) => serverAction(id, 'poweron'),
      powerOff: (id: number) => serverAction(id, 'poweroff'),
      shutdown: (id: number) => serverAction(id, 'shutdown'),
      changeType: (id: number, body: ChangeTypeRequest) => serverAction(id, 'change_type', body),
      createImage: (id: number, body: CreateImageRequest) =>
        http.request<CreateImageResponse>('POST', `/servers/${id}/actions/create_image`, { body }),
    },
    actions: {
      get: (id: number) => http.request<{ action: Action }>('GET', `/actions/${id}`).then((r) => r.action),
    },
    sshKeys: {
      list: (query: { name?: string; fingerprint?: string; label_selector?: string } = {}) =>
        list<SshKey>('/ssh_keys', 'ssh_keys', query),
      create: (body: CreateSshKeyRequest) =>
        http.request<{ ssh_key: SshKey }>('POST', '/ssh_keys', { body }).then((r) => r.ssh_key),
      delete: (id: number) => http.request<void>('DELETE', `/ssh_keys/${id}`),
    },
    images: {
      list: (
        query: {
          name?: string;
          type?: Image['type'];
          architecture?: Image['architecture'];
          label_selector?: string;
        } = {},
      ) => list<Image>('/images', 'images', query),
      get: (id: number) => http.request<{ image: Image }>('GET', `/images/${id}`).then((r) => r.image),
    },
    firewalls: {
      list: (query: { name?: string; label_selector?: string } = {}) =>
        list<Firewall>('/firewalls', 'firewalls', query),
      create: (body: CreateFirewallRequest) => http.request<CreateFirewallResponse>('POST', '/firewalls', { body }),
      delete: (id: number) => http.request<void>('DELETE', `/firewalls/${id}`),
      setRules: (id: number, rules: FirewallRule[]) =>
        http
          .request<{ actions: Action[] }>('POST', `/firewalls/${id}/actions/set_rules`, { body: { rules } })
          .then((r) => r.actions),
    },
    serverTypes: {
      list: () => list<ServerType>('/server_types', 'server_types'),
    },
    locations: {
      list: () => list<Location>('/locations', 'locations'),
    },
    /** Resolves with the finished action; throws HcloudError if it ends in `error`. */
    waitForAction: (action: Action | number, wait: WaitOptions = {}) =>
      waitForAction((id) => http.request<{ action: Action }>('GET', `/actions/${id}`).then((r) => r.action), action, {
        intervalMs: pollIntervalMs,
        sleep,
        ...wait,
      }),
  };
}

/** Hetzner's page size limit; fewer requests count against the rate limit. */
const perPage = 50;

async function listAll<T>(http: Transport, path: string, key: string, query: Query): Promise<T[]> {
  const items: T[] = [];
  for (let page: number | null = 1; page !== null; ) {
    const response: Record<string, unknown> & { meta?: ListMeta } = await http.request('GET', path, {
      query: { ...query, page, per_page: perPage },
    });
    items.push(...((response[key] as T[] | undefined) ?? []));
    page = response.meta?.pagination.next_page ?? null;
  }
  return items;
}
