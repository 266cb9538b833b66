import proxyAddr from '@fastify/proxy-addr';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { REQUEST_ID, type LeanLane, type LeanRoute, type RawAnswer } from './lean-route';
import { BASELINE_HEADERS } from './request-gate';

/**
 * Puts the lean routes' `atOnce` answers ahead of Fastify on the app's HTTP server: a GET whose
 * answer is certain at once (a cached check, the liveness probe) is written from Node's request
 * and response, without Fastify's routing, request and reply objects and hooks — most of what the
 * lean lane still cost per request beside a bare Fastify route answering the same bytes. What it
 * writes is what the lane writes through Fastify (same status, headers in the same order, body,
 * request id, metrics count and access-log line; `lean-route.int-spec.ts` compares the two);
 * anything else — another route, a query with escapes, an answer that must wait, an error, a
 * server that is closing (Fastify answers 503) — goes to Fastify as before. `inject` goes straight
 * to Fastify, so tests over `inject` see the lane's hook answer the same requests.
 *
 * A POST of an `ahead` route (the token refresh) is answered here too, whole: the lane's own steps
 * (`LeanLane.answer`) on Node's request and response dressed as the few parts of Fastify's that
 * those steps use (`AheadRequest`, `AheadReply`), its client address derived as Fastify derives
 * it from `trustProxy` (the same `@fastify/proxy-addr`). Its body is read here, so it never goes
 * to Fastify: every answer, errors included, is the lane's.
 */
export function answerAheadOfFastify(fastify: FastifyInstance, lane: LeanLane, trustProxy?: readonly string[]): void {
  const server: Server = fastify.server;
  const listeners = server.listeners('request') as ((request: IncomingMessage, response: ServerResponse) => void)[];
  const [fastifyHandler] = listeners;
  if (listeners.length !== 1 || !fastifyHandler) throw new Error(`Expected Fastify's one request listener, found ${listeners.length}`);
  let closing = false;
  // Fastify marks itself closing just before its preClose hooks; from then on it answers 503.
  fastify.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  const trust = trustProxy?.length ? proxyAddr.compile([...trustProxy]) : undefined;
  server.removeListener('request', fastifyHandler);
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    if (closing) fastifyHandler.call(server, request, response);
    else if (request.method === 'POST') {
      const route = lane.routeOf('POST', request.url ?? '');
      if (route?.ahead) lane.answer(route, new AheadRequest(request, trust) as unknown as FastifyRequest, new AheadReply(response) as unknown as FastifyReply);
      else fastifyHandler.call(server, request, response);
    } else if (!answerAtOnce(lane, request, response)) fastifyHandler.call(server, request, response);
  });
}

/** The caller's X-Request-Id when it is sane, else a fresh UUID: the id the lane answers and logs with. */
function requestIdOf(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/** Whose X-Forwarded-For is believed (`trustProxy`), compiled as Fastify compiles it. */
type Trust = (address: string, hop: number) => boolean;

/** A POST body's query: the lane reads a POST's input from its body only. */
const NO_QUERY: Readonly<Record<string, string>> = Object.freeze(Object.create(null) as Record<string, string>);

/**
 * Node's request as the parts of a FastifyRequest an `ahead` route's steps use (see
 * `LeanRoute.ahead`): its request id (`requestIdOf`, what the lane makes of Fastify's), and
 * `ip`/`ips` exactly as Fastify computes them.
 */
export class AheadRequest {
  id: string;
  readonly query = NO_QUERY;

  constructor(
    readonly raw: IncomingMessage,
    private readonly trust: Trust | undefined,
  ) {
    this.id = requestIdOf(raw);
  }

  get method(): string {
    return this.raw.method ?? 'POST';
  }

  get url(): string {
    return this.raw.url ?? '';
  }

  get headers(): IncomingMessage['headers'] {
    return this.raw.headers;
  }

  get socket(): IncomingMessage['socket'] {
    return this.raw.socket;
  }

  /** Fastify: the socket's address, or with `trustProxy` the last address proxy-addr trusts its way to. */
  get ip(): string | undefined {
    if (!this.trust) return this.raw.socket.remoteAddress;
    const addresses = proxyAddr.all(this.raw, this.trust);
    return addresses[addresses.length - 1];
  }

  get ips(): string[] | undefined {
    return this.trust ? proxyAddr.all(this.raw, this.trust) : undefined;
  }
}

/**
 * Node's response as the parts of a FastifyReply an `ahead` route's steps use (see
 * `LeanRoute.ahead`), kept as Fastify keeps them (names in lower case, `set-cookie` gathered) and
 * written as its `send` writes a string or Buffer: the headers in the order they were set, then
 * content-length, in one `writeHead`, the body in one `end`.
 */
export class AheadReply {
  statusCode = 200;
  sent = false;
  private readonly fields: Record<string, string | number | string[]> = Object.create(null) as Record<string, string | number | string[]>;

  constructor(readonly raw: ServerResponse) {}

  code(statusCode: number): this {
    this.statusCode = statusCode;
    return this;
  }

  status(statusCode: number): this {
    return this.code(statusCode);
  }

  header(name: string, value: string | number | string[] = ''): this {
    const key = name.toLowerCase();
    const had = this.fields[key];
    if (key === 'set-cookie' && had !== undefined)
      this.fields[key] = [...(Array.isArray(had) ? had : [String(had)]), ...(Array.isArray(value) ? value : [String(value)])];
    else this.fields[key] = value;
    return this;
  }

  headers(values: Readonly<Record<string, string | number | string[]>>): this {
    for (const name of Object.keys(values)) this.header(name, values[name]);
    return this;
  }

  getHeader(name: string): string | number | string[] | undefined {
    return this.fields[name.toLowerCase()];
  }

  hasHeader(name: string): boolean {
    return this.fields[name.toLowerCase()] !== undefined;
  }

  send(body?: string | Buffer): this {
    if (this.sent) return this;
    this.sent = true;
    if (body === undefined) {
      if (this.statusCode >= 200 && this.statusCode !== 204 && this.statusCode !== 304) this.fields['content-length'] = '0';
    } else {
      this.fields['content-type'] ??= typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/octet-stream';
      this.fields['content-length'] = String(Buffer.byteLength(body));
    }
    this.raw.writeHead(this.statusCode, this.fields);
    this.raw.end(body);
    return this;
  }
}

/** How many URLs answered at once a lane remembers (LeanLane.atOnceUrls): the distinct checks of a fleet's versions, bounded against a caller sending endless variants. */
const REMEMBERED_URLS = 1024;

/** Writes the `atOnce` answer of the request's lean route; false when there is none. */
function answerAtOnce(lane: LeanLane, request: IncomingMessage, response: ServerResponse): boolean {
  if (request.method !== 'GET') return false;
  const started = performance.now();
  const url = request.url ?? '';
  // A URL answered at once lately: its route and query as read then (see LeanLane.atOnceUrls).
  let known = lane.atOnceUrls.get(url);
  let route: LeanRoute | undefined;
  let query: Readonly<Record<string, string>> | undefined;
  if (known) ({ route, query } = known);
  else {
    route = lane.routeOf('GET', url);
    if (!route?.atOnce) return false;
    const mark = url.indexOf('?');
    query = plainQuery(mark === -1 ? '' : url.slice(mark + 1));
    if (!query || (route.dto && !route.accept?.(query))) return false;
  }
  let answer: RawAnswer | undefined;
  try {
    answer = route.atOnce?.(query, request.headers);
  } catch {
    return false; // the usual way answers the error
  }
  if (!answer) return false;
  if (!known) {
    if (lane.atOnceUrls.size >= REMEMBERED_URLS) lane.atOnceUrls.clear();
    lane.atOnceUrls.set(url, (known = { route, query: Object.freeze(query), written: new WeakMap() }));
  }
  let written = known.written.get(answer);
  if (!written) known.written.set(answer, (written = writtenHeaders(route, answer)));
  const id = requestIdOf(request);
  const { body, statusCode } = answer;
  response.writeHead(statusCode, ['x-request-id', id, ...written]);
  response.end(body);
  lane.answeredOne(route, { id, method: 'GET', url }, statusCode, started);
  return true;
}

/**
 * The headers of `answer` after the request id, as a flat name, value list: in the order the lane
 * sets them on Fastify's reply, then what Fastify's send adds (its content-length). Made once per
 * answer of a remembered URL: the answers written at once are mostly the same objects again (a
 * cached check, the liveness answer).
 */
function writtenHeaders(route: LeanRoute, answer: RawAnswer): readonly string[] {
  const headers: Record<string, string> = { ...BASELINE_HEADERS, ...route.headers, ...answer.headers };
  if (answer.body !== undefined) headers['content-length'] = String(Buffer.byteLength(answer.body));
  else if (answer.statusCode !== 304) headers['content-length'] = '0';
  return Object.entries(headers).flat();
}

/**
 * `name=value&…` as Fastify's query parser reads it, for the queries where that is plain: no
 * percent-escape or `+` to decode, every piece a named pair, no name twice (Fastify makes an
 * array). Undefined for anything else, which Fastify then parses itself.
 */
export function plainQuery(search: string): Record<string, string> | undefined {
  const query = Object.create(null) as Record<string, string>;
  if (search === '') return query;
  if (search.includes('%') || search.includes('+')) return undefined;
  for (const piece of search.split('&')) {
    const equals = piece.indexOf('=');
    if (equals <= 0) return undefined;
    const name = piece.slice(0, equals);
    if (name in query) return undefined;
    query[name] = piece.slice(equals + 1);
  }
  return query;
}
