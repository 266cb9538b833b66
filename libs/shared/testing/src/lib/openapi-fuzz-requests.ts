import fc from 'fast-check';

/**
 * The requests the OpenAPI fuzzer sends (see openapi-fuzz.ts): for each operation of the
 * document, fast-check arbitraries of paths, queries, headers and bodies, from plausible (the
 * schema's examples) to hostile.
 */

export interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string;
}

export interface FuzzAnswer {
  statusCode: number;
  body: string;
  headers: Record<string, string | string[] | number | undefined>;
}

export interface FuzzTarget {
  /** The service's OpenAPI document, as `/docs/json` serves it. */
  document: OpenApiDocument;
  send(request: FuzzRequest): Promise<FuzzAnswer>;
  /** Tokens the service accepts (ops, admin, a pending one…), so guarded handlers are reached too. */
  tokens: readonly string[];
  /** Real values for path parameters by name (ids of rows that exist), beside made-up ones. */
  pathValues?: Readonly<Record<string, readonly string[]>>;
  /** Operations left out, as `METHOD /path`. */
  skip?: readonly string[];
  /**
   * Operations whose refusals are documents by contract, as `METHOD /path` (an SVG badge that
   * says "invalid version" in an <img>): still never a 5xx, but not JSON.
   */
  documentAnswers?: readonly string[];
}

interface Schema {
  $ref?: string;
  type?: string;
  format?: string;
  enum?: unknown[];
  example?: unknown;
  items?: Schema;
  properties?: Record<string, Schema>;
  nullable?: boolean;
  oneOf?: Schema[];
}

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  schema?: Schema;
  example?: unknown;
}

interface Operation {
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}

export interface FuzzOperation {
  method: string;
  path: string;
  pathParams: string[];
  query: Parameter[];
  body?: Schema;
}

const MEGABYTE_STRING = 'x'.repeat(1_000_000);
const HOSTILE_STRINGS = [
  '',
  ' ',
  '   \t\n',
  '\u0000',
  'a\u0000b',
  '\u0007\u001b[2J',
  '\ud800',
  'é'.repeat(300),
  '1.0.0\n',
  '2026-02-30T00:00:00Z',
  '0001-01-01',
  '0000-01-01T00:00:00Z',
  '2026-01-01T00:00:00',
  '9999-12-31T23:59:59Z',
  '+275760-09-13T00:00:00Z',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  "'; drop table x; --",
  'http://169.254.169.254/latest',
  'CVSS:3.1/AV:N/AV:L',
  'x'.repeat(10_000),
  MEGABYTE_STRING,
];
const HOSTILE_NUMBERS = [0, -1, 1.5, 2 ** 31, 2 ** 53 + 2, -(2 ** 63), 1e308, -1e308, Number.MIN_VALUE];
/** Whole bodies, as raw text: structure attacks and things that are not JSON at all. */
const HOSTILE_BODIES = [
  '['.repeat(10_000) + ']'.repeat(10_000),
  '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000),
  `{${Array.from({ length: 50_000 }, (_, i) => `"k${i}":1`).join(',')}}`,
  `[${Array.from({ length: 20_000 }, () => '{}').join(',')}]`,
  '{"__proto__":{"admin":true}}',
  '{"constructor":{"prototype":{"admin":true}}}',
  '{',
  '',
  'null',
  '[]',
  '"text"',
  '1e400',
  '{"a":"\\u0000"}',
  '{"a":1,"a":2}',
  '\u0000',
];
/** Raw path or query fragments, inserted without encoding: what a client that never encodes sends. */
const RAW_FRAGMENTS = ['%00', '%ZZ', '%C3%28', '%', '..', '%2e%2e%2f', 'a%00b', '%F0%9F%92%A9', 'x'.repeat(10_000)];
const BOGUS_TOKENS = [
  'x',
  'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4Iiwicm9sZXMiOlsib3BzIl19.',
  'eyJhbGciOiJFUzI1NiIsImtpZCI6Im5vcGUifQ.eyJzdWIiOiJ4In0.AAAA',
  'a.b.c',
  '\u00ff'.repeat(50),
  'x'.repeat(8_000),
];

function resolve(schema: Schema | undefined, document: OpenApiDocument, depth = 0): Schema | undefined {
  if (!schema || depth > 8) return schema;
  if (schema.$ref) return resolve(document.components?.schemas?.[schema.$ref.split('/').pop() ?? ''], document, depth + 1);
  return schema;
}

/** Every operation of the document, with what the fuzzer needs to build requests for it. */
export function operationsOf(document: OpenApiDocument, skip: readonly string[] = []): FuzzOperation[] {
  const operations: FuzzOperation[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      if (skip.includes(`${method.toUpperCase()} ${path}`)) continue;
      const parameters = operation.parameters ?? [];
      operations.push({
        method: method.toUpperCase(),
        path,
        pathParams: [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] ?? ''),
        query: parameters.filter((p) => p.in === 'query'),
        body: resolve(operation.requestBody?.content?.['application/json']?.schema, document),
      });
    }
  }
  return operations;
}

/** A value the schema describes: its example, an enum member, or a plain value of its type. */
function plausible(schema: Schema | undefined, document: OpenApiDocument, depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(schema, document);
  if (!s || depth > 4) return fc.constant('fuzz');
  if (s.enum?.length) return fc.constantFrom(...s.enum);
  if (s.example !== undefined) return fc.constant(s.example);
  switch (s.type) {
    case 'boolean':
      return fc.boolean();
    case 'integer':
    case 'number':
      return fc.integer({ min: 0, max: 100 });
    case 'array':
      return fc.array(plausible(s.items, document, depth + 1), { maxLength: 3 });
    case 'object':
      return s.properties ? objectOf(s, document, depth + 1) : fc.constant({});
    default:
      return s.format === 'date-time' ? fc.constant(new Date(Date.UTC(2027, 0, 1)).toISOString()) : fc.string({ maxLength: 20 });
  }
}

/** Anything but what the schema asks for. */
function hostile(): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.constant(null),
    fc.constantFrom(...HOSTILE_STRINGS),
    fc.constantFrom(...HOSTILE_NUMBERS),
    fc.boolean(),
    fc.string({ unit: 'binary', maxLength: 30 }),
    fc.constant([]),
    fc.constant({}),
    fc.array(fc.constantFrom(...HOSTILE_STRINGS.slice(0, 12)), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 8 }), fc.constantFrom(null, 1, 'x')),
  );
}

function objectOf(schema: Schema, document: OpenApiDocument, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const fields = Object.entries(schema.properties ?? {}).map(([name, property]) =>
    fc.oneof(
      { weight: 5, arbitrary: plausible(property, document, depth).map((value) => [name, value] as const) },
      { weight: 2, arbitrary: hostile().map((value) => [name, value] as const) },
      { weight: 2, arbitrary: fc.constant(undefined) },
    ),
  );
  const unknownKeys = fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), hostile(), { maxKeys: 3 });
  return fc.tuple(fc.tuple(...fields), fc.oneof({ weight: 4, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: unknownKeys })).map(([entries, extra]) => ({
    ...Object.fromEntries(entries.filter((entry): entry is readonly [string, unknown] => entry !== undefined)),
    ...extra,
  }));
}

/** The body of a request: schema-shaped, all-null (the PATCH case), raw hostile text, or any JSON. */
function bodyFor(operation: FuzzOperation, document: OpenApiDocument): fc.Arbitrary<string | undefined> {
  const schema = operation.body;
  const shaped = schema?.properties ? objectOf(schema, document, 0) : plausible(schema, document);
  const names = Object.keys(schema?.properties ?? { field: {} });
  const allNull = fc.constant(Object.fromEntries(names.map((name) => [name, null])));
  // A body that passes validation reaches the handler; one null or hostile field in it finds
  // the NOT NULL columns and the parsing the DTO let through.
  const valid = schema?.properties
    ? fc.record(Object.fromEntries(Object.entries(schema.properties).map(([name, property]) => [name, plausible(property, document)])))
    : shaped;
  const validButOne = fc.tuple(valid, fc.constantFrom(...names), hostile()).map(([body, name, value]) => ({ ...(body as object), [name]: value }));
  // `{ "title": null }` alone: the PATCH that once reached a NOT NULL column.
  const oneNull = fc.constantFrom(...names).map((name) => ({ [name]: null }));
  return fc.oneof(
    { weight: 4, arbitrary: shaped.map((value) => JSON.stringify(value)) },
    { weight: 2, arbitrary: valid.map((value) => JSON.stringify(value)) },
    { weight: 3, arbitrary: validButOne.map((value) => JSON.stringify(value)) },
    { weight: 3, arbitrary: oneNull.map((value) => JSON.stringify(value)) },
    { weight: 1, arbitrary: allNull.map((value) => JSON.stringify(value)) },
    { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_BODIES) },
    { weight: 1, arbitrary: fc.json({ maxDepth: 3 }) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

/** Percent-encoding; a lone surrogate (which encodeURIComponent refuses) goes out as its invalid UTF-8 bytes. */
function encode(value: unknown): string {
  try {
    return encodeURIComponent(String(value));
  } catch {
    return '%ED%A0%80';
  }
}

/** A path or query value: real, plausible, encoded hostile, or a raw fragment nobody encoded. */
function urlValue(known: readonly string[], plausibleValue: fc.Arbitrary<unknown>): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: known.length > 0 ? 10 : 0, arbitrary: known.length > 0 ? fc.constantFrom(...known).map(encode) : fc.constant('x') },
    { weight: 3, arbitrary: plausibleValue.map(encode) },
    { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_STRINGS.slice(0, 20)).map(encode) },
    { weight: 2, arbitrary: fc.constantFrom(...RAW_FRAGMENTS) },
    { weight: 1, arbitrary: fc.uuid().map(String) },
  );
}

export function requestFor(operation: FuzzOperation, target: FuzzTarget): fc.Arbitrary<FuzzRequest> {
  const { document } = target;
  const pathParts = operation.pathParams.map((name) => urlValue(target.pathValues?.[name] ?? [], fc.string({ minLength: 1, maxLength: 20 })));
  const queryParts = operation.query.map((parameter) =>
    fc.option(
      urlValue([], plausible(parameter.schema, document)).map((value) => `${encodeURIComponent(parameter.name)}=${value}`),
      { nil: undefined },
    ),
  );
  // Mostly the first (most privileged) token, so guarded handlers see most of the traffic.
  const [first, ...others] = target.tokens;
  const authorization = fc.oneof(
    { weight: first ? 8 : 0, arbitrary: fc.constant(first ? `Bearer ${first}` : undefined) },
    { weight: others.length > 0 ? 2 : 0, arbitrary: others.length > 0 ? fc.constantFrom(...others).map((token) => `Bearer ${token}`) : fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 2, arbitrary: fc.constantFrom(...BOGUS_TOKENS).map((token) => `Bearer ${token}`) },
    { weight: 1, arbitrary: fc.constantFrom('Basic YTpi', 'Bearer', 'bearer  ', '\u00ff') },
  );
  const contentType = fc.oneof(
    { weight: 12, arbitrary: fc.constant('application/json') },
    {
      weight: 1,
      arbitrary: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', ''),
    },
  );
  const extraHeaders: fc.Arbitrary<Record<string, string>> = fc.oneof(
    { weight: 6, arbitrary: fc.constant({}) },
    {
      weight: 1,
      arbitrary: fc.constantFrom<Record<string, string>>(
        { 'x-request-id': 'x'.repeat(5_000) },
        { 'if-none-match': '"'.repeat(2_000) },
        { 'x-forwarded-for': '::1, 10.0.0.1, bogus' },
        { accept: 'text/html' },
      ),
    },
  );
  return fc
    .record({
      path: fc.tuple(...pathParts),
      query: fc.tuple(...queryParts),
      extraQuery: fc.option(fc.constantFrom('a=%00', 'x=%ZZ', 'version=1.0.0&version=2.0.0', 'from=2026-02-30&to=0001-01-01'), { freq: 8, nil: undefined }),
      authorization,
      contentType,
      extraHeaders,
      body: bodyFor(operation, document),
    })
    .map(({ path, query, extraQuery, authorization: auth, contentType: type, extraHeaders: extra, body }) => {
      let i = 0;
      const url = operation.path.replace(/\{[^}]+\}/g, () => path[i++] ?? 'x');
      const search = [...query.filter((q): q is string => q !== undefined), ...(extraQuery ? [extraQuery] : [])].join('&');
      const headers: Record<string, string> = { ...extra };
      if (auth !== undefined) headers['authorization'] = auth;
      const sendsBody = body !== undefined && operation.method !== 'GET' && operation.method !== 'DELETE';
      if (sendsBody && type) headers['content-type'] = type;
      return { method: operation.method, url: search ? `${url}?${search}` : url, headers, ...(sendsBody ? { payload: body } : {}) };
    });
}

export function describeRequest(request: FuzzRequest): string {
  const cut = (text: string) => (text.length > 300 ? `${text.slice(0, 300)}… (${text.length} characters)` : text);
  return JSON.stringify({
    method: request.method,
    url: cut(request.url),
    headers: Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, cut(v)])),
    payload: request.payload === undefined ? undefined : cut(request.payload),
  });
}
