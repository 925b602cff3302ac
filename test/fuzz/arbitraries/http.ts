/**
 * HTTP requests built from the platform's own /openapi.json: each documented route (and the few
 * served outside it) with its parameters and body generated from their schemas, then bent —
 * encoded `..` and odd unicode in path parameters, type swaps, prototype keys, huge numbers, deep
 * nesting, bodies that are not JSON, odd methods and headers.
 */
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import type { RawRequest } from '../harness/raw-http.ts';

type Schema = {
  type?: string | string[];
  enum?: unknown[];
  properties?: Record<string, Schema>;
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  $ref?: string;
  additionalProperties?: Schema | boolean;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  pattern?: string;
  default?: unknown;
  nullable?: boolean;
  required?: string[];
};
type Param = { name: string; in: 'path' | 'query' | 'header'; schema?: Schema; required?: boolean };
type Operation = { parameters?: Param[]; requestBody?: { content?: Record<string, { schema?: Schema }> } };
export type OpenApi = {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
};

export interface Route {
  method: string;
  /** Template with {param}s, as documented. */
  path: string;
  params: Param[];
  body?: { type: string; schema: Schema } | undefined;
}

/** Values the platform knows (a deployed skill, its bundle, an execution), so requests reach past the 404s. */
export interface Known {
  domain: string;
  name: string;
  version: string;
  digest: string;
  executionId: string;
  bundle: Buffer;
}

/** Routes served outside the OpenAPI document (non-OpenAI ones are registered with app.get). */
const EXTRA_ROUTES: Route[] = [
  { method: 'get', path: '/metrics', params: [] },
  {
    method: 'get',
    path: '/v1/traces',
    params: [
      { name: 'domain', in: 'query' },
      { name: 'date', in: 'query' },
    ],
  },
  { method: 'get', path: '/v1/executions/{id}/trace', params: [{ name: 'id', in: 'path' }] },
  {
    method: 'get',
    path: '/v1/skills/{domain}/{name}/logs',
    params: [
      { name: 'domain', in: 'path' },
      { name: 'name', in: 'path' },
      { name: 'since', in: 'query' },
      { name: 'level', in: 'query' },
      { name: 'limit', in: 'query' },
      { name: 'follow', in: 'query' },
    ],
  },
  {
    method: 'post',
    path: '/v1/chat/completions',
    params: [],
    body: {
      type: 'application/json',
      schema: {
        type: 'object',
        properties: {
          model: { type: 'string' },
          messages: {
            type: 'array',
            items: {
              type: 'object',
              properties: { role: { enum: ['system', 'user', 'assistant', 'tool'] }, content: { type: 'string' } },
            },
          },
          stream: { type: 'boolean' },
          temperature: { type: 'number' },
          max_tokens: { type: 'integer' },
          tools: { type: 'array', items: { type: 'object' } },
        },
      },
    },
  },
  {
    method: 'post',
    path: '/v1/embeddings',
    params: [],
    body: {
      type: 'application/json',
      schema: {
        type: 'object',
        properties: {
          model: { type: 'string' },
          input: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
        },
      },
    },
  },
  { method: 'get', path: '/v1/models', params: [] },
];

export function routesOf(doc: OpenApi): Route[] {
  const out: Route[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const content = op.requestBody?.content ?? {};
      const type = Object.keys(content)[0];
      out.push({
        method,
        path,
        params: op.parameters ?? [],
        body: type ? { type, schema: content[type]!.schema ?? {} } : undefined,
      });
    }
  }
  for (const r of EXTRA_ROUTES) if (!out.some((x) => x.method === r.method && x.path === r.path)) out.push(r);
  return out;
}

// ---------- values ----------

const ATTACK_SEGMENTS = [
  '..',
  '.',
  '%2e%2e',
  '%2E%2E',
  '.%2e',
  '%2e.',
  '..%2f..%2f..%2fetc%2fpasswd',
  '%2f',
  '%5c',
  '..%5c..',
  '%00',
  '%ff',
  '%',
  '%zz',
  '%c0%ae%c0%ae',
  '%e2%80%ae',
  '',
  ' ',
  '%20',
  '+',
  ';',
  ';x=1',
  '..;',
  '%3b',
  '?',
  '%3f',
  '#',
  '%23',
  '\\',
  '~',
  '*',
  '%25',
  '%2525',
  '%u002e',
  'é',
  '%C3%A9',
  '😀',
  '%F0%9F%98%80',
  '\u202e',
  'a'.repeat(300),
  'x'.repeat(20_000),
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  'null',
  'undefined',
  'NaN',
  '-1',
  '0',
  '1e400',
  '99999999999999999999',
  '../..',
  'fraud/../wealth',
  'FRAUD',
  'fraud%2fblock-transaction',
  'sha256:',
  `sha256:${'0'.repeat(64)}`,
  `sha256:${'g'.repeat(64)}`,
  'sha512:x',
  '00000000-0000-0000-0000-000000000000',
];

export const pathValue = (known: Known, name: string): fc.Arbitrary<string> =>
  fc.oneof(
    {
      weight: 6,
      arbitrary: fc.constant(
        (
          {
            domain: known.domain,
            name: known.name,
            digest: known.digest,
            id: known.executionId,
            version: known.version,
          } as Record<string, string>
        )[name] ?? known.name,
      ),
    },
    { weight: 4, arbitrary: fc.constantFrom(...ATTACK_SEGMENTS) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }).map(encodeURIComponent) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  );

const QUERY_VALUES = [
  '',
  '0',
  '-1',
  '1',
  '500',
  '501',
  '1e3',
  '1.5',
  'NaN',
  'Infinity',
  '9007199254740993',
  '1e400',
  'true',
  'false',
  'production',
  'staging',
  'dev',
  '15m',
  '1h',
  '24h',
  '7d',
  '99999999h',
  '0ms',
  'x',
  'debug',
  'error',
  'fatal',
  'fraud',
  'fraud/block-transaction',
  'firing',
  '2026-02-16',
  '9999-99-99',
  '%00',
  '%',
  '[]',
  '{}',
  '__proto__',
  'a'.repeat(2000),
];
export const queryValue = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...QUERY_VALUES) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }).map(encodeURIComponent) },
);

const hugeNumberText = fc.constantFrom(
  '1e400',
  '-1e400',
  '123456789012345678901234567890',
  '0.0000000000000000000000000000001',
  '-0',
  '1E+2',
  '9007199254740993',
  '1.7976931348623157e309',
);
const protoKey = fc.constantFrom(
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  '__defineGetter__',
  'then',
);

type J = null | boolean | number | string | J[] | { [k: string]: J };

function resolve(s: Schema | undefined, doc: OpenApi): Schema {
  let cur = s ?? {};
  for (let i = 0; i < 10 && cur.$ref; i++)
    cur = doc.components?.schemas?.[cur.$ref.replace('#/components/schemas/', '')] ?? {};
  return cur;
}

/** A value the schema describes (depth-limited), before mutation. */
export function fromSchema(s0: Schema | undefined, doc: OpenApi, depth = 0): fc.Arbitrary<J> {
  const s = resolve(s0, doc);
  if (depth > 4) return fc.constant(null);
  if (s.enum?.length) return fc.constantFrom(...(s.enum as J[]));
  const alts = s.anyOf ?? s.oneOf;
  if (alts?.length) return fc.oneof(...alts.map((a) => fromSchema(a, doc, depth + 1)));
  if (s.allOf?.length) return fromSchema(s.allOf[0], doc, depth + 1);
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  switch (type) {
    case 'string':
      return fc.oneof(
        fc.string({ maxLength: Math.min(s.maxLength ?? 30, 30) }),
        fc.constantFrom('hello', 'fraud', 'production', '1.0.0'),
      );
    case 'integer':
      return fc.integer({ min: Math.max(s.minimum ?? -10, -1e6), max: Math.min(s.maximum ?? 1000, 1e6) });
    case 'number':
      return fc.double({ noNaN: true, noDefaultInfinity: true, min: s.minimum ?? -1e6, max: s.maximum ?? 1e6 });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(fromSchema(s.items, doc, depth + 1), { maxLength: 3 });
    default: {
      const props = Object.entries(s.properties ?? {});
      if (!props.length)
        return fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<J>, {
          maxKeys: 3,
        });
      return fc.record(Object.fromEntries(props.map(([k, v]) => [k, fromSchema(v, doc, depth + 1)])), {
        requiredKeys: s.required ?? [],
      }) as fc.Arbitrary<J>;
    }
  }
}

/** JSON text: the schema's value, sometimes bent (as text, so __proto__ keys and 1e400 survive). */
export function jsonBody(s: Schema, doc: OpenApi): fc.Arbitrary<string> {
  const base = fromSchema(s, doc);
  const deep = fc
    .tuple(fc.integer({ min: 50, max: 200_000 }), fc.boolean())
    .map(([n, arr]) => (arr ? `${'['.repeat(n)}${']'.repeat(n)}` : `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`));
  const bentField = fc.oneof(
    deep,
    hugeNumberText,
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
    fc.constantFrom('"x"', 'null', '[]', '{}', '"\\u0000"', '"\\ud800"', `"${'x'.repeat(200_000)}"`),
  );
  return fc.oneof(
    { weight: 5, arbitrary: base.map((v) => JSON.stringify(v)) },
    // The schema's object with a field replaced or added as raw JSON text: type swaps, huge numbers, deep nesting, prototype keys.
    {
      weight: 6,
      arbitrary: fc
        .tuple(
          base,
          fc.oneof(
            fc.constantFrom(...Object.keys(resolve(s, doc).properties ?? { x: {} })),
            protoKey,
            fc.string({ maxLength: 6 }),
          ),
          bentField,
        )
        .map(([v, k, raw]) => {
          const obj = v && typeof v === 'object' && !Array.isArray(v) ? { ...v } : {};
          delete obj[k];
          const rest = JSON.stringify(obj);
          return `${rest.slice(0, -1)}${rest.length > 2 ? ',' : ''}${JSON.stringify(k)}:${raw}}`;
        }),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(protoKey, protoKey)
        .map(([a, b]) => `{"${a}":{"${b}":{"polluted":true}},"input":{"__proto__":{"userId":"admin"}}}`),
    },
    { weight: 1, arbitrary: deep },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '',
        ' ',
        'null',
        '[]',
        '"x"',
        '1',
        '{',
        '{"a":',
        '{"a":1,}',
        "{'a':1}",
        '{"a":1}{"b":2}',
        '\ufeff{}',
        '{"a":"\\x"}',
        '{"a":NaN}',
        '{"a":Infinity}',
        '{"a":undefined}',
      ),
    },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 100 }) },
  );
}

// ---------- requests ----------

export interface ApiCase {
  route: Route;
  req: RawRequest;
}

const METHODS = [
  'GET',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'HEAD',
  'OPTIONS',
  'TRACE',
  'PROPFIND',
  'get',
  'Post',
  'M-SEARCH',
  'PURGE',
];
const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'application/JSON',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/gzip',
  'application/octet-stream',
  '*/*',
  '',
  'application/json, text/plain',
  'application/merge-patch+json',
];

export function apiCase(
  routes: Route[],
  doc: OpenApi,
  known: Known,
  token: string,
  bundles: fc.Arbitrary<Uint8Array>,
): fc.Arbitrary<ApiCase> {
  const route = fc.constantFrom(...routes);
  return route.chain((r) => {
    const pathParams = r.params.filter((p) => p.in === 'path');
    const queryParams = r.params.filter((p) => p.in === 'query');
    const body: fc.Arbitrary<Buffer | undefined> = !r.body
      ? fc.option(
          fc.oneof(fc.constant('{}'), fc.string({ maxLength: 20 })).map((s) => Buffer.from(s)),
          { nil: undefined, freq: 4 },
        )
      : r.body.type === 'application/gzip'
        ? fc.oneof(
            { weight: 4, arbitrary: bundles.map((b) => Buffer.from(b)) },
            { weight: 1, arbitrary: fc.constant(known.bundle) },
            { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(gzipSync(b))) },
            { weight: 1, arbitrary: fc.constant(Buffer.alloc(0)) },
          )
        : jsonBody(r.body.schema, doc).map((s) => Buffer.from(s));
    return fc
      .record({
        method: fc.oneof(
          { weight: 12, arbitrary: fc.constant(r.method.toUpperCase()) },
          { weight: 1, arbitrary: fc.constantFrom(...METHODS) },
        ),
        params: fc.tuple(...pathParams.map((p) => pathValue(known, p.name))),
        query: fc.array(
          fc.tuple(
            fc.oneof(
              {
                weight: 5,
                arbitrary: fc.constantFrom(...(queryParams.length ? queryParams.map((p) => p.name) : ['q'])),
              },
              {
                weight: 1,
                arbitrary: fc.constantFrom('__proto__[x]', 'constructor[prototype][x]', 'limit[]', 'a', ''),
              },
            ),
            queryValue,
          ),
          { maxLength: 4 },
        ),
        trailing: fc.constantFrom('', '', '', '/', '//', '/.', '/..', '?', '#x', '%2f', ';'),
        prefix: fc.constantFrom('', '', '', '', '/', '/./', '/v1/../', '/%2e%2e/'),
        auth: fc.oneof(
          { weight: 8, arbitrary: fc.constant(`Bearer ${token}`) },
          {
            weight: 1,
            arbitrary: fc.constantFrom(
              '',
              'Bearer',
              'Bearer ',
              `bearer ${token}`,
              `Bearer ${token}x`,
              `Bearer ${token.slice(1)}`,
              'Basic YTpi',
              `Bearer  ${token}`,
              `Bearer ${token}\t`,
            ),
          },
        ),
        contentType: fc.oneof(
          { weight: 6, arbitrary: fc.constant(r.body?.type ?? 'application/json') },
          { weight: 1, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
        ),
        extra: fc.array(
          fc.oneof(
            fc.constantFrom<[string, string]>(
              ['x-aspora-actor', 'alice'],
              ['x-aspora-actor', 'a'.repeat(201)],
              ['x-aspora-actor', '\u00e9\u00ff'],
              ['accept', 'text/html'],
              ['accept-encoding', 'gzip, br'],
              ['x-forwarded-for', '169.254.169.254'],
              ['x-http-method-override', 'DELETE'],
              ['expect', '100-continue'],
              ['transfer-encoding', 'chunked'],
              ['content-encoding', 'gzip'],
              ['range', 'bytes=0-1'],
              ['origin', 'http://evil.example'],
              ['x-aspora-skill', 'fraud/block-transaction'],
              ['authorization', 'Bearer second'],
            ),
            fc.tuple(
              fc.stringMatching(/^x-[a-z]{1,8}$/),
              fc.string({ unit: 'binary-ascii', maxLength: 30 }).map((v) => v.replace(/[\r\n\0]/g, ' ')),
            ),
          ),
          { maxLength: 3 },
        ),
        body,
      })
      .map((x): ApiCase => {
        let i = 0;
        const path = r.path.replace(/\{[^}]+\}/g, () => x.params[i++] ?? 'x');
        const q = x.query.map(([k, v]) => `${k}=${v}`).join('&');
        const target = Buffer.from(
          `${x.prefix === '/' ? '' : x.prefix.replace(/\/$/, '')}${path}${x.trailing}${q ? `${x.trailing.includes('?') ? '&' : '?'}${q}` : ''}`.replace(
            /^(?!\/)/,
            '/',
          ),
        );
        const headers: [string, string][] = [];
        if (x.auth) headers.push(['authorization', x.auth]);
        if (x.body !== undefined || r.body) headers.push(['content-type', x.contentType]);
        const chunked = x.extra.some(([k]) => k === 'transfer-encoding');
        headers.push(...x.extra.filter(([k]) => k !== 'transfer-encoding'));
        let bodyBytes = x.body;
        if (chunked && bodyBytes?.length) {
          headers.push(['transfer-encoding', 'chunked']);
          bodyBytes = Buffer.concat([
            Buffer.from(`${bodyBytes.length.toString(16)}\r\n`),
            bodyBytes,
            Buffer.from('\r\n0\r\n\r\n'),
          ]);
        }
        return {
          route: r,
          req: { method: x.method, target, headers, ...(bodyBytes !== undefined ? { body: bodyBytes } : {}) },
        };
      });
  });
}
