import { HcloudError } from './errors';
import type { ErrorResponse } from './types';

export const defaultEndpoint = 'https://api.hetzner.cloud/v1';

export interface TransportOptions {
  token: string;
  /** Base URL up to and including `/v1`; HCLOUD_ENDPOINT or the public API when absent. */
  endpoint?: string;
  fetch?: typeof fetch;
  /** Injected so tests do not wait for real backoff or rate-limit resets. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** Retries after the first attempt for 429, transient 5xx and network errors. */
  maxRetries?: number;
  /** Retries for 423 locked, which lasts as long as another action on the resource runs. */
  lockedRetries?: number;
  /** where the token came from (HCLOUD_TOKEN, a hcloud CLI context, the prompt), named when the API refuses it */
  tokenSource?: string;
  /** told before each wait for a retry, so a long one is not silence */
  onRetry?: (message: string) => void;
}

export type Query = Record<string, string | number | boolean | string[] | undefined>;

export interface Transport {
  request<T>(method: string, path: string, init?: { query?: Query; body?: unknown }): Promise<T>;
}

const backoffBaseMs = 500;
const backoffCapMs = 8_000;
const rateLimitWaitCapMs = 60_000;

/** Statuses after which Hetzner has done nothing, so even a create may be sent again. 423 locked:
 * another action runs on the resource (a server's poweroff, a snapshot); it ends by itself. */
const notActedOn = new Set([423, 429, 502, 503]);
/** Statuses worth another try for requests that are safe to repeat. */
const transient = new Set([423, 429, 500, 502, 503, 504]);

export function createTransport(options: TransportOptions): Transport {
  const endpoint = (options.endpoint ?? process.env.HCLOUD_ENDPOINT ?? defaultEndpoint).replace(/\/+$/, '');
  const doFetch = options.fetch ?? globalThis.fetch;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = options.now ?? Date.now;
  const maxRetries = options.maxRetries ?? 5;
  // with the backoff's 8 s cap, about 2.5 minutes: a snapshot or a type change can hold a server that long
  const lockedRetries = options.lockedRetries ?? 20;

  async function request<T>(method: string, path: string, init: { query?: Query; body?: unknown } = {}): Promise<T> {
    const url = endpoint + path + queryString(init.query);
    const headers: Record<string, string> = { authorization: `Bearer ${options.token}`, accept: 'application/json' };
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const body = init.body === undefined ? undefined : JSON.stringify(init.body);
    // A POST whose answer was lost may have created something; only GET, PUT and DELETE are
    // repeated blindly.
    const idempotent = method !== 'POST';
    const pause = (ms: number, why: string) => {
      options.onRetry?.(`${method} ${path}: ${why}; trying again in ${Math.ceil(ms / 1000)} s`);
      return sleep(ms);
    };

    for (let attempt = 0; ; attempt++) {
      const canRetry = attempt < maxRetries;
      let response: Response;
      try {
        response = await doFetch(url, { method, headers, body });
      } catch (cause) {
        if (canRetry && idempotent) {
          await pause(backoff(attempt), `no answer (${errorReason(cause)})`);
          continue;
        }
        throw new HcloudError({
          status: 0,
          code: 'network_error',
          message: `${method} ${endpoint}${path}: ${errorReason(cause)}`,
        });
      }
      if (response.ok) return (response.status === 204 ? undefined : await response.json()) as T;

      const retryable = idempotent ? transient.has(response.status) : notActedOn.has(response.status);
      if ((response.status === 423 ? attempt < lockedRetries : canRetry) && retryable) {
        await response.arrayBuffer();
        const why =
          response.status === 423
            ? 'locked by another action'
            : response.status === 429
              ? 'rate limit reached'
              : `answered ${response.status}`;
        await pause(response.status === 429 ? rateLimitWait(response, attempt, now()) : backoff(attempt), why);
        continue;
      }
      const error = await toError(response);
      if (response.status === 401 && options.tokenSource)
        error.message += ` (the token came from ${options.tokenSource})`;
      throw error;
    }
  }

  return { request };
}

/** fetch says only "fetch failed"; the reason (DNS, refused, TLS) is its cause */
const errorReason = (cause: unknown) =>
  ((cause as Error).cause as Error | undefined)?.message ?? (cause as Error).message ?? String(cause);

function backoff(attempt: number): number {
  return Math.min(backoffBaseMs * 2 ** attempt, backoffCapMs);
}

/**
 * Retry-After (seconds) when present, else RateLimit-Reset (a UNIX time). Hetzner refills one
 * request a second, so the wait is capped: the bucket need not be full to go on.
 */
function rateLimitWait(response: Response, attempt: number, nowMs: number): number {
  const retryAfter = Number(response.headers.get('retry-after'));
  if (Number.isFinite(retryAfter) && retryAfter > 0) return Math.min(retryAfter * 1000, rateLimitWaitCapMs);
  const reset = Number(response.headers.get('ratelimit-reset'));
  if (Number.isFinite(reset) && reset > 0) {
    return Math.min(Math.max(reset * 1000 - nowMs, 1000), rateLimitWaitCapMs);
  }
  return backoff(attempt);
}

async function toError(response: Response): Promise<HcloudError> {
  const text = await response.text();
  try {
    const { error } = JSON.parse(text) as ErrorResponse;
    if (error && typeof error.code === 'string') {
      return new HcloudError({
        status: response.status,
        code: error.code,
        message: error.message,
        details: error.details,
      });
    }
  } catch {
    // not Hetzner's JSON: a proxy or load balancer answered
  }
  return new HcloudError({
    status: response.status,
    code: `http_${response.status}`,
    message: `HTTP ${response.status} ${response.statusText}`.trim(),
  });
}

function queryString(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) params.append(key, String(item));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}
