// The fake Hetzner Cloud API's answers (hcloud-api.ts): its routes, Hetzner's error format, paged lists
// with label selectors, and the checks Hetzner makes on labels and keys.
import { createHash } from 'node:crypto';
import { parseLabelSelector } from './label-selector';

export type Reply = { status: number; json?: unknown };
export type Handler = (req: { params: number[]; query: URLSearchParams; body: any }) => Reply;
export type Route = [method: string, pattern: RegExp, handler: Handler];
/** Adds a route; `{id}` in the pattern matches one path segment, handed to the handler as a number. */
export type On = (method: string, pattern: string, handler: Handler) => void;

export const routeOn =
  (routes: Route[]): On =>
  (method, pattern, handler) =>
    routes.push([method, new RegExp('^' + pattern.replace(/\{id\}/g, '([^/]+)') + '$'), handler]);

export const ok = (json: unknown, status = 200): Reply => ({ status, json });
export const fail = (status: number, code: string, message: string, details: unknown = null): Reply => ({
  status,
  json: { error: { code, message, details } },
});
export const invalid = (field: string, message: string) =>
  fail(422, 'invalid_input', `invalid input in field '${field}'`, { fields: [{ name: field, messages: [message] }] });
export const notFound = (what: string, id: number) => fail(404, 'not_found', `${what} with ID '${id}' not found`);

export function uniqueness(field: string, message: string): Reply {
  return fail(409, 'uniqueness_error', message, { fields: [{ name: field }] });
}

export function listReply(key: string, all: unknown[], query: URLSearchParams, filters: string[]): Reply {
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
  if (!Number.isInteger(perPage) || perPage < 1 || perPage > 50) return invalid('per_page', 'must be between 1 and 50');
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

export function byNameOrId<T extends { id: number; name: string }>(list: T[], ref: string): T | undefined {
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

export function checkLabels(labels: unknown) {
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
