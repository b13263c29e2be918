// Checks requests against the Hetzner Cloud OpenAPI description, so that neither the fake nor our
// client drifts from the real API unnoticed.
import { readFileSync } from 'node:fs';
import type { RecordedRequest } from './hcloud-api';

/**
 * The part of the description firstboot uses, vendored by
 * scripts/vendor-openapi.ts (its source and licence are inside).
 */
export const specPath = new URL('./hcloud-openapi.json', import.meta.url);

type Schema = {
  $ref?: string;
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  items?: Schema;
  enum?: unknown[];
  nullable?: boolean;
  description?: string;
};
type Operation = {
  parameters?: { in: string; name: string; required?: boolean; schema?: Schema }[];
  requestBody?: { required?: boolean; content: Record<string, { schema: Schema }> };
  responses?: Record<string, { content?: Record<string, { schema: Schema }> }>;
};
interface Spec {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

let cached: Spec | undefined;

export function loadSpec(): Spec {
  return (cached ??= JSON.parse(readFileSync(specPath, 'utf8')) as Spec);
}

/**
 * Problems with one request, empty when it fits: the path template exists for the method, query
 * parameters are declared, required body properties are there, and no top-level body property is
 * unknown. Hetzner's request schemas list every field they accept and never set
 * additionalProperties, so an undeclared property is treated as a typo unless the schema opens
 * the object explicitly.
 */
export function checkRequest(
  spec: Spec,
  request: Pick<RecordedRequest, 'method' | 'path' | 'query' | 'body'>,
): string[] {
  const where = `${request.method} ${request.path}`;
  const template = matchTemplate(spec, request.path);
  if (!template) return [`${where}: no such path in the API description`];
  const operation = spec.paths[template]![request.method.toLowerCase()];
  if (!operation) return [`${where}: ${template} has no ${request.method}`];

  const problems: string[] = [];
  // Hetzner documents pagination for every list; /actions leaves it out, yet the hcloud CLI sends `page`.
  const declared = new Set([
    'page',
    'per_page',
    ...(operation.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
  ]);
  for (const name of new Set(request.query.keys())) {
    if (!declared.has(name)) problems.push(`${where}: undeclared query parameter '${name}'`);
  }
  for (const p of operation.parameters ?? []) {
    if (p.in === 'query' && p.required && !request.query.has(p.name))
      problems.push(`${where}: missing query parameter '${p.name}'`);
  }

  const bodySchema = operation.requestBody?.content['application/json']?.schema;
  if (request.body.length === 0) {
    if (operation.requestBody?.required) problems.push(`${where}: request body required`);
    return problems;
  }
  if (!bodySchema) return [...problems, `${where}: sends a body the API does not take`];
  let body: unknown;
  try {
    body = JSON.parse(request.body.toString('utf8'));
  } catch {
    return [...problems, `${where}: body is not JSON`];
  }
  const schema = resolve(spec, bodySchema);
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return [...problems, `${where}: body is not an object`];
  for (const name of schema.required ?? []) {
    if (!(name in body)) problems.push(`${where}: missing required property '${name}'`);
  }
  const open = schema.additionalProperties !== undefined && schema.additionalProperties !== false;
  for (const [name, value] of Object.entries(body)) {
    const property = schema.properties?.[name];
    if (!property) {
      if (!open) problems.push(`${where}: unknown property '${name}'`);
      continue;
    }
    const wanted = resolve(spec, property);
    if (!typeMatches(wanted, value))
      problems.push(`${where}: '${name}' should be ${wanted.type}, got ${JSON.stringify(value)}`);
  }
  return problems;
}

/**
 * Problems with what the fake answered to one request: a success has the shape the description gives
 * that status (required properties, types, nothing undeclared, nested objects and lists too); an
 * error is Hetzner's {error: {code, message, details}}.
 */
export function checkResponse(
  spec: Spec,
  r: Pick<RecordedRequest, 'method' | 'path' | 'status' | 'response'>,
): string[] {
  const where = `${r.method} ${r.path} -> ${r.status}`;
  if (r.status >= 400) {
    const error = (r.response as { error?: Record<string, unknown> } | undefined)?.error;
    return error && typeof error.code === 'string' && typeof error.message === 'string' && 'details' in error
      ? []
      : [`${where}: not Hetzner's error shape`];
  }
  const template = matchTemplate(spec, r.path);
  const operation = template ? spec.paths[template]![r.method.toLowerCase()] : undefined;
  if (!operation) return []; // checkRequest reports it
  const schema = operation.responses?.[String(r.status)]?.content?.['application/json']?.schema;
  if (!schema) return r.response === undefined ? [] : [`${where}: the description has no body for this status`];
  return shapeProblems(spec, schema, r.response, where);
}

function shapeProblems(spec: Spec, given: Schema, value: unknown, at: string): string[] {
  const schema = resolve(spec, given);
  const alternatives = schema.oneOf ?? schema.anyOf;
  if (alternatives) {
    const fits = alternatives.map((s) => shapeProblems(spec, s, value, at));
    return fits.some((p) => p.length === 0) ? [] : fits[0]!;
  }
  if (value === null) return schema.nullable ? [] : [`${at}: null where the description has no null`];
  if (!typeMatches(schema, value))
    return [`${at}: should be ${schema.type}, got ${JSON.stringify(value)?.slice(0, 60)}`];
  if (schema.enum && !schema.enum.includes(value))
    return [`${at}: ${JSON.stringify(value)} is not one of ${schema.enum.join(', ')}`];
  if (schema.type === 'array' && schema.items)
    return (value as unknown[]).flatMap((item, i) => shapeProblems(spec, schema.items!, item, `${at}[${i}]`));
  if (schema.type !== 'object' || !schema.properties) return [];
  const object = value as Record<string, unknown>;
  const problems = (schema.required ?? [])
    .filter((name) => !(name in object))
    .map((name) => `${at}: missing '${name}'`);
  for (const [name, inner] of Object.entries(object)) {
    const property = schema.properties[name];
    if (property) problems.push(...shapeProblems(spec, property, inner, `${at}.${name}`));
    else if (schema.additionalProperties === undefined || schema.additionalProperties === false)
      problems.push(`${at}: undeclared '${name}'`);
  }
  return problems;
}

/**
 * Every problem with a run of requests and the fake's answers; `except` leaves out what a test sent wrong on purpose.
 */
export function specProblems(
  requests: RecordedRequest[],
  except: (r: RecordedRequest) => boolean = () => false,
): string[] {
  const spec = loadSpec();
  return requests.filter((r) => !except(r)).flatMap((r) => [...checkRequest(spec, r), ...checkResponse(spec, r)]);
}

/**
 * For a suite against the fake: its after.each records each test's problems, and `assertNone` is
 * the suite's last test. uvu lets an after.each hook that throws end the suite with exit code 0,
 * so the hook itself must not be where the check fails.
 */
export function specLedger() {
  const problems: string[] = [];
  return {
    record(requests: RecordedRequest[], except?: (r: RecordedRequest) => boolean) {
      problems.push(...specProblems(requests, except));
    },
    assertNone() {
      if (problems.length)
        throw new Error(`requests and answers that do not match the API description:\n  ${problems.join('\n  ')}`);
    },
  };
}

function matchTemplate(spec: Spec, path: string): string | undefined {
  const segments = path.split('/');
  return Object.keys(spec.paths).find((template) => {
    const parts = template.split('/');
    return (
      parts.length === segments.length &&
      parts.every((part, i) => (part.startsWith('{') ? /^\d+$/.test(segments[i]!) : part === segments[i]))
    );
  });
}

function resolve(spec: Spec, schema: Schema): Schema {
  if (schema.$ref) return resolve(spec, spec.components.schemas[schema.$ref.replace('#/components/schemas/', '')]!);
  if (schema.allOf?.length === 1) return { ...resolve(spec, schema.allOf[0]!), nullable: schema.nullable };
  return schema;
}

function typeMatches(schema: Schema, value: unknown): boolean {
  if (value === null) return schema.nullable === true;
  switch (schema.type) {
    // "ID or name of ..." fields are strings in the description, but the API takes IDs as numbers
    // too and the hcloud CLI sends them that way.
    case 'string':
      return typeof value === 'string' || (/^ID or name\b/.test(schema.description ?? '') && Number.isInteger(value));
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return typeof value === 'object' && !Array.isArray(value);
    default:
      return true;
  }
}
