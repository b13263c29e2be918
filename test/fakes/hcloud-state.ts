// The fake Hetzner Cloud API's state (hcloud-api.ts): what it holds, the requests it recorded, the
// failures tests switched on, and actions that reach 100% on a timer and then change that state.
import type { IncomingHttpHeaders } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { Action, Firewall, Image, Labels, Location, Server, ServerType, SshKey } from '../../hcloud/api/types';
import { systemImages } from './hcloud-catalogue';

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

export interface InjectedFailure {
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
export const userDataLimit = 32_768;
export const rateLimit = 3600;

export type FakeState = ReturnType<typeof newState>;

export function newState(options: FakeHcloudOptions) {
  return {
    options,
    token: options.token ?? 'fake-token-' + randomBytes(8).toString('hex'),
    steps: options.actionSteps ?? 2,
    tickMs: options.actionTickMs ?? 15,
    requests: [] as RecordedRequest[],
    servers: new Map<number, FakeServer>(),
    sshKeys: new Map<number, SshKey>(),
    images: new Map<number, Image>(systemImages.map((i) => [i.id, structuredClone(i)])),
    firewalls: new Map<number, Firewall>(),
    actions: new Map<number, Action>(),
    failedActions: new Map<string, { code: string; message: string }>(),
    failures: [] as InjectedFailure[],
    hooks: [] as Promise<void>[],
    rateLimited: 0,
    remaining: rateLimit,
    ignoringAcpi: false,
    nextId: 1000,
    addressCounter: 0,
    timers: new Set<NodeJS.Timeout>(),
  };
}

export const newId = (state: FakeState) => ++state.nextId;
export const now = () => new Date().toISOString();

/** Starts an action that reaches 100% after `steps` ticks, then runs the matching callback. */
export function startAction(
  state: FakeState,
  command: string,
  resources: { id: number; type: string }[],
  done: { success?: () => void; error?: () => void } = {},
  extraTicks = 0,
): Action {
  const action: Action = {
    id: newId(state),
    command,
    status: 'running',
    progress: 0,
    started: now(),
    finished: null,
    resources,
    error: null,
  };
  state.actions.set(action.id, action);
  const failure = state.failedActions.get(command);
  state.failedActions.delete(command);
  let tick = 0;
  const total = state.steps + extraTicks;
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
  }, state.tickMs);
  state.timers.add(timer);
  return { ...action };
}
