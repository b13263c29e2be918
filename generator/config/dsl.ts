// A schema DSL small enough to read in one sitting. One description of each option gives the
// TypeScript type (Infer), validation with paths, defaults, the README reference and the JSON Schema;
// a library would give us one or two of those, never positions and docs together.
import { closest } from '../did-you-mean';
import * as msg from './messages';

export type Path = readonly (string | number)[];

/** Where a problem is reported: the offending value, or the key itself (unknown keys). */
export type Anchor = 'key' | 'value';

export interface ParseCtx {
  issue(path: Path, message: string, anchor?: Anchor): void;
}

export type JsonSchema = { [key: string]: unknown };

export interface Field<T> {
  readonly kind: 'string' | 'integer' | 'boolean' | 'enum' | 'list' | 'section' | 'either' | 'literal';
  /** what the option does and why its default is what it is (markdown, one paragraph) */
  readonly doc: string;
  /** the value used when the key is absent or null; undefined for optional fields */
  readonly default: T;
  /** shown in the docs instead of the default value, when the value alone would not explain it */
  readonly defaultText?: string;
  /** human type for the docs and for "must be ..." messages */
  readonly expect: string;
  /** the JavaScript shape this field takes; either() dispatches on it */
  accepts(value: unknown): boolean;
  /** checks value and returns it, or reports and returns the default so later checks can go on */
  parse(value: unknown, path: Path, ctx: ParseCtx): T;
  jsonSchema(): JsonSchema;
  readonly optional?: boolean;
  /** a `secret:NAME` reference: the value is given when the CLI runs, never in the config */
  readonly secret?: boolean;
  readonly fields?: Record<string, Field<unknown>>;
  readonly item?: Field<unknown>;
}

export type Infer<F> = F extends Field<infer T> ? T : never;

/** A rule on top of the type: returns a message when the value breaks it. */
export type Check<T> = (value: T) => string | undefined;

interface Common<T> {
  doc: string;
  default?: T;
  defaultText?: string;
  check?: Check<T>;
}

function scalar<T>(
  kind: Field<T>['kind'],
  opts: Common<T>,
  expect: string,
  accepts: (v: unknown) => boolean,
  refine: (v: T) => string | undefined,
  schema: JsonSchema,
): Field<T> {
  const field: Field<T> = {
    kind,
    doc: opts.doc,
    default: opts.default as T,
    defaultText: opts.defaultText,
    expect,
    accepts,
    parse(value, path, ctx) {
      if (!accepts(value)) {
        ctx.issue(path, msg.wrongType(expect, value));
        return field.default;
      }
      // The specific check first: it can say more than "must be ..." (e.g. "use lowercase").
      const problem = opts.check?.(value as T) ?? refine(value as T);
      if (problem !== undefined) {
        ctx.issue(path, problem);
        return field.default;
      }
      return value as T;
    },
    jsonSchema: () => withDoc(schema, field),
  };
  return field;
}

function withDoc(schema: JsonSchema, field: Field<unknown>): JsonSchema {
  const out: JsonSchema = { description: field.doc, ...schema };
  if (field.default !== undefined) out.default = field.default;
  return out;
}

export function string(
  opts: Common<string> & { pattern?: RegExp; expect?: string; maxLength?: number },
): Field<string> {
  const expect = opts.expect ?? 'a string';
  return scalar<string>(
    'string',
    opts,
    expect,
    (v) => typeof v === 'string',
    (v) =>
      (opts.maxLength !== undefined && v.length > opts.maxLength) || (opts.pattern && !opts.pattern.test(v))
        ? msg.mustBe(expect, v)
        : undefined,
    {
      type: 'string',
      ...(opts.pattern && { pattern: opts.pattern.source }),
      ...(opts.maxLength !== undefined && { maxLength: opts.maxLength }),
    },
  );
}

export function integer(opts: Common<number> & { min: number; max: number }): Field<number> {
  const expect = `an integer from ${opts.min} to ${opts.max}`;
  return scalar<number>(
    'integer',
    opts,
    expect,
    (v) => typeof v === 'number' && Number.isInteger(v),
    (v) => (v < opts.min || v > opts.max ? msg.mustBe(expect, v) : undefined),
    { type: 'integer', minimum: opts.min, maximum: opts.max },
  );
}

export function boolean(opts: Common<boolean>): Field<boolean> {
  return scalar<boolean>(
    'boolean',
    opts,
    'true or false',
    (v) => typeof v === 'boolean',
    () => undefined,
    {
      type: 'boolean',
    },
  );
}

export function oneOf<const V extends string>(values: readonly V[], opts: Common<V>): Field<V> {
  const expect = `one of ${values.join(', ')}`;
  return scalar<V>(
    'enum',
    opts,
    expect,
    (v) => typeof v === 'string',
    (v) => (values.includes(v) ? undefined : msg.mustBe(expect, v)),
    { type: 'string', enum: values },
  );
}

/** A single allowed value; used inside either(), e.g. `reboot: false`. */
export function literal<const V extends string | number | boolean>(value: V, doc: string): Field<V> {
  return scalar<V>(
    'literal',
    { doc },
    JSON.stringify(value),
    (v) => v === value,
    () => undefined,
    { const: value },
  );
}

/** The first alternative whose JavaScript type matches takes the value. */
export function either<A, B>(a: Field<A>, b: Field<B>, opts: Common<A | B>): Field<A | B> {
  const expect = `${a.expect} or ${b.expect}`;
  const field: Field<A | B> = {
    kind: 'either',
    doc: opts.doc,
    default: opts.default as A | B,
    defaultText: opts.defaultText,
    expect,
    accepts: (v) => a.accepts(v) || b.accepts(v),
    parse(value, path, ctx) {
      if (a.accepts(value)) return a.parse(value, path, ctx);
      if (b.accepts(value)) return b.parse(value, path, ctx);
      ctx.issue(path, msg.wrongType(expect, value));
      return field.default;
    },
    jsonSchema: () => withDoc({ oneOf: [a.jsonSchema(), b.jsonSchema()] }, field),
  };
  return field;
}

export function list<T>(item: Field<T>, opts: Common<T[]>): Field<T[]> {
  const expect = `a list of ${item.expect}`;
  const field: Field<T[]> = {
    kind: 'list',
    doc: opts.doc,
    default: opts.default ?? [],
    defaultText: opts.defaultText,
    expect,
    item: item as Field<unknown>,
    accepts: Array.isArray,
    parse(value, path, ctx) {
      if (!Array.isArray(value)) {
        ctx.issue(path, msg.wrongType(expect, value));
        return [...field.default];
      }
      return value.map((v, i) => item.parse(v, [...path, i], ctx));
    },
    jsonSchema: () => withDoc({ type: 'array', items: stripDoc(item.jsonSchema()) }, field),
  };
  return field;
}

/** An item's description repeats its list's; keep only the constraints. */
function stripDoc({ description: _d, default: _v, ...rest }: JsonSchema): JsonSchema {
  return rest;
}

export function optional<T>(inner: Field<T>): Field<T | undefined> {
  return { ...inner, optional: true, default: undefined } as Field<T | undefined>;
}

type Shape = Record<string, Field<any>>;
export type SectionOf<S extends Shape> = { [K in keyof S]: Infer<S[K]> };

/** A mapping with fixed keys: unknown keys are errors (with a did-you-mean), absent keys take defaults. */
export function section<S extends Shape>(fields: S, opts: { doc: string }): Field<SectionOf<S>> {
  const names = Object.keys(fields);
  const defaults = (): SectionOf<S> => {
    const out: Record<string, unknown> = {};
    for (const [k, f] of Object.entries(fields)) out[k] = structuredClone(f.default);
    return out as SectionOf<S>;
  };
  const field: Field<SectionOf<S>> = {
    kind: 'section',
    doc: opts.doc,
    get default() {
      return defaults();
    },
    expect: 'a mapping',
    fields,
    accepts: isMapping,
    parse(value, path, ctx) {
      if (value === null || value === undefined) value = {};
      if (!isMapping(value)) {
        ctx.issue(path, msg.wrongType('a mapping', value));
        return defaults();
      }
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(value)) {
        if (!Object.hasOwn(fields, key))
          ctx.issue([...path, key], msg.unknownKey(key, names, closest(key, names)), 'key');
      }
      for (const [key, f] of Object.entries(fields)) {
        const v = value[key];
        out[key] = v === undefined || v === null ? structuredClone(f.default) : f.parse(v, [...path, key], ctx);
      }
      return out as SectionOf<S>;
    },
    jsonSchema() {
      const properties: Record<string, JsonSchema> = {};
      for (const [k, f] of Object.entries(fields)) properties[k] = f.jsonSchema();
      return { description: field.doc, type: 'object', properties, additionalProperties: false };
    },
  };
  return field;
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `$.admin.ssh_keys[1]`; keys that are not plain words are quoted: `$["a b"]`. */
export function pathText(path: Path): string {
  return (
    '$' +
    path
      .map((p) => (typeof p === 'number' ? `[${p}]` : /^[A-Za-z_][\w-]*$/.test(p) ? `.${p}` : `[${JSON.stringify(p)}]`))
      .join('')
  );
}

/** Every leaf option with its dotted name, in schema order: the docs walk this. */
export function leaves(field: Field<unknown>, prefix = ''): { name: string; field: Field<unknown> }[] {
  if (field.kind !== 'section' || !field.fields) return [{ name: prefix, field }];
  return Object.entries(field.fields).flatMap(([k, f]) => leaves(f, prefix ? `${prefix}.${k}` : k));
}

/**
 * The same option, handed on in a form easier to use than the text (`"443/tcp"` to
 * `{ port: "443", proto: "tcp" }`); docs, JSON Schema and checks stay the inner field's.
 */
export function map<T, U>(inner: Field<T>, convert: (value: T) => U): Field<U> {
  return {
    ...inner,
    default: (inner.default === undefined ? undefined : convert(inner.default)) as U,
    parse(value, path, ctx) {
      let bad = false;
      const got = inner.parse(value, path, { issue: (...args) => ((bad = true), ctx.issue(...args)) });
      return (bad ? undefined : convert(got)) as U;
    },
  };
}
