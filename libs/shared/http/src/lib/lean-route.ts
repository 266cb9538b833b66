import { CanActivate, ForbiddenException, HttpStatus, Logger, Type } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { createValidationPipe, DomainError, errorAnswer } from '@keyhaven/errors';
import { QUIET_PATHS } from './access-log';
import { DEFAULT_JSON_LIMITS, parseJsonBody } from './json-body';
import type { MetricsRegistry } from './metrics';
import { BASELINE_HEADERS } from './request-gate';

/**
 * A hot route answered in Fastify's first `onRequest` hook, ahead of everything Nest adds per
 * request (middleware with its per-request logger child and ORM request context, guards, pipes,
 * interceptors, the latency histogram): what is left is a map lookup, the input check, the handler
 * and one write. Used where a route's callers are many and its work is small — the update check
 * every installation polls, the liveness probe, the token refresh of every signed-in client.
 *
 * The Nest controller method of the same path stays: it defines and documents the route (OpenAPI),
 * and the lean route must do exactly what it does. Both go through the same gate:
 * - the request id and baseline headers, NUL refused anywhere in the URL;
 * - bodies: the media types Fastify parses (JSON through `parseJsonBody` with its shape limits and
 *   NUL refusal, `text/plain` as a string; else 415), the body limit (413);
 * - the route's DTO: `accept` is only a fast check of the common valid case; whatever it refuses
 *   goes through the service's validation pipe with the DTO, so a bad input gets the very same
 *   `validation_failed` answer as anywhere else;
 * - the controller's guards where it has some (`runGuardAs`);
 * - errors through `errorAnswer`, the exception filter's own mapping.
 */
export interface LeanRoute<Input extends object = object> {
  method: 'GET' | 'POST';
  /** The exact path (a query string is not part of it, as for Nest's router). */
  path: string;
  /** GET: the query DTO; POST: the body DTO. Omitted: the route takes no input (a query is ignored). */
  dto?: Type<Input>;
  /** True only for input the DTO certainly accepts unchanged (no unknown keys, right types and sizes). */
  accept?(input: unknown): input is Input;
  /** Runs before the body is read (e.g. the controller's per-IP limit); throws to refuse. */
  before?(request: FastifyRequest, reply: FastifyReply): Promise<void> | void;
  /**
   * Runs where Nest runs a controller's guards: after the body is read (a malformed body is
   * refused first), before the DTO check (a bad token is refused before a bad field); throws to refuse.
   */
  guard?(request: FastifyRequest, reply: FastifyReply): Promise<void> | void;
  /** The controller method's work: a value sent as JSON, or a `RawAnswer` sent byte for byte. */
  handle(input: Input, request: FastifyRequest, reply: FastifyReply): unknown;
  /** Status of a JSON answer (default 200). */
  status?: number;
  /** Headers of every answer of the route, errors included (e.g. `cache-control: no-store`). */
  headers?: Readonly<Record<string, string>>;
  /**
   * GET only: the answer when it is certain at once from a plain query (`name=value` pairs, no
   * escapes, no name twice) that `accept` accepts, and the headers — a cached check, the constant
   * liveness answer. Such
   * answers are written ahead of Fastify on the HTTP server (see `answerAheadOfFastify`); undefined
   * or a throw serves the request the usual way, which answers any error. An answer is written as
   * given plus its content-length, so it must be one Fastify would not amend: a status of 200 or
   * more other than 204, and a body whose content-type names its charset (or no body). The lane
   * remembers the URLs it answered this way (`atOnceUrls`) and hands the same URL's next requests
   * the same frozen query object: what `atOnce` derives from a query alone it may keep by that
   * object (a WeakMap), and it must not depend on anything else that changes but the headers.
   */
  atOnce?(input: Input, headers: IncomingHttpHeaders): RawAnswer | undefined;
  /**
   * POST only: served ahead of Fastify on the HTTP server (see `answerAheadOfFastify`) — the same
   * steps, errors and answer, from Node's request and response instead of Fastify's, which cost the
   * token refresh ≈ 0.02 ms of its 0.23–0.27 ms of CPU (docs/performance.md). There `before`, `guard` and
   * `handle` get a request that has only `id`, `method`, `url`, `headers`, `query`, `raw`, `socket`,
   * `ip` and `ips` (the client address as Fastify derives it under `trustProxy`), and a reply that
   * has only `code`, `status`, `statusCode`, `header`, `headers`, `getHeader`, `hasHeader` and
   * `sent` — enough for the throttler and the handlers that set a header. Requests through
   * `inject` (tests) still take the lane's hook in Fastify.
   */
  ahead?: boolean;
}

/** An answer sent exactly as given (signed bytes that a serializer must not touch). */
export class RawAnswer {
  constructor(
    readonly statusCode: number,
    readonly headers: Readonly<Record<string, string>>,
    readonly body: string | Buffer | undefined,
  ) {}
}

export const REQUEST_ID = /^[\w.:-]{1,128}$/;
const NUL_IN_URL = /%00/i;
const lanes = new WeakMap<FastifyInstance, LeanLane>();

/** The lane of one app: created by `createHttpApp` as its first hook; routes are added later. */
export class LeanLane {
  private readonly routes = new Map<string, LeanRoute>();
  private readonly pipe = createValidationPipe();
  private readonly logger = new Logger('LeanRoute');
  /** Requests answered here, so the per-request metrics hook does not count them twice. */
  readonly answered = new WeakSet<FastifyRequest>();
  private readonly bodyLimit: number;
  private metrics: MetricsRegistry | undefined;
  /** Each route's answer counter in `metrics`. */
  private readonly counters = new Map<LeanRoute, (status: number) => void>();
  /**
   * URLs answered `atOnce` lately, with their route, (frozen) query and the headers written for
   * each answer object it got (see `answerAheadOfFastify`): the same URL — an
   * installation polls the same check again and again — is not routed, split and checked again.
   * Bounded (`answerAheadOfFastify` empties it when full); emptied when routes change.
   */
  readonly atOnceUrls = new Map<string, { route: LeanRoute; query: Readonly<Record<string, string>>; written: WeakMap<RawAnswer, readonly string[]> }>();

  constructor(
    fastify: FastifyInstance,
    private readonly errorStatus: Readonly<Record<string, HttpStatus>>,
  ) {
    this.bodyLimit = fastify.initialConfig.bodyLimit ?? 1024 * 1024;
    lanes.set(fastify, this);
    fastify.addHook('onRequest', (request, reply, done) => {
      const route = this.routeOf(request.method, request.url);
      if (!route) {
        done();
        return;
      }
      this.answered.add(request);
      this.answer(route, request, reply);
    });
  }

  /**
   * Answers one request of `route`, from Fastify's hook or, for an `ahead` route, from the HTTP
   * server's own request and response dressed as Fastify's (see `answerAheadOfFastify`).
   */
  answer(route: LeanRoute, request: FastifyRequest, reply: FastifyReply): void {
    // serve answers every error itself; this is only what could fail around that (logging).
    const failedAfter = (error: unknown) => {
      this.logger.error({ err: error, method: request.method, url: request.url }, 'A lean route failed after answering');
      if (!reply.sent) void reply.code(500).header('content-type', 'application/json; charset=utf-8').send(errorAnswer(error, this.errorStatus).body);
    };
    try {
      this.serve(route, request, reply)?.catch(failedAfter);
    } catch (error) {
      failedAfter(error);
    }
  }

  /** The registry lean answers are counted in (the app's, once Nest made it). */
  countWith(metrics: MetricsRegistry): void {
    this.metrics = metrics;
    this.counters.clear();
  }

  add(routes: readonly LeanRoute[]): void {
    this.atOnceUrls.clear();
    for (const route of routes) {
      if (route.atOnce && (route.method !== 'GET' || route.before || route.guard))
        throw new Error(`${route.path}: atOnce is for a GET without before or guard`);
      if (route.ahead && route.method !== 'POST') throw new Error(`${route.path}: ahead is for a POST (a GET answers ahead through atOnce)`);
      this.routes.set(`${route.method} ${route.path}`, route);
    }
  }

  /** The route of `method` and `url` (its path; the query is not part of it), if the lane serves it. */
  routeOf(method: string | undefined, url: string): LeanRoute | undefined {
    const query = url.indexOf('?');
    return this.routes.get(`${method} ${query === -1 ? url : url.slice(0, query)}`);
  }

  /**
   * Answers one request. Per request this is: the request id and baseline headers, the NUL check,
   * the route's input check, its handler, one write, one counter and (at info) one log line. It
   * stays synchronous wherever the route allows — no `before` or `guard`, a GET whose query
   * `accept`s, a handler that answers at once (the check's warm answer, the liveness probe): once
   * any AsyncLocalStorage is in use (MikroORM's, nestjs-pino's) every promise costs an async-hooks
   * round on Node 20, and an `await` chain here was a third of the route's own time.
   */
  private serve(route: LeanRoute, request: FastifyRequest, reply: FastifyReply): Promise<void> | undefined {
    const started = performance.now();
    if (!REQUEST_ID.test(request.id)) request.id = randomUUID();
    void reply.header('x-request-id', request.id).headers(BASELINE_HEADERS);
    if (route.headers) void reply.headers(route.headers);
    try {
      const result = this.run(route, request, reply);
      if (result instanceof Promise) return this.sendWhenSettled(route, request, reply, result, started);
      this.send(route, reply, result);
    } catch (error) {
      this.fail(request, reply, error);
    }
    this.done(route, request, reply, started);
    return undefined;
  }

  private async sendWhenSettled(route: LeanRoute, request: FastifyRequest, reply: FastifyReply, result: Promise<unknown>, started: number): Promise<void> {
    try {
      this.send(route, reply, await result);
    } catch (error) {
      this.fail(request, reply, error);
    }
    this.done(route, request, reply, started);
  }

  /** The route's work: its handler's value (or promise), or a promise when a step must wait. */
  private run(route: LeanRoute, request: FastifyRequest, reply: FastifyReply): unknown {
    if (NUL_IN_URL.test(request.url)) throw new DomainError('validation_failed', 'The URL must not contain NUL characters (%00).');
    if (!route.before && !route.guard && route.method === 'GET' && (!route.dto || route.accept?.(request.query))) {
      return route.handle(request.query as object, request, reply);
    }
    return this.runWaiting(route, request, reply);
  }

  private async runWaiting(route: LeanRoute, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    if (route.before) {
      const before = route.before(request, reply);
      if (before) await before;
    }
    const input = route.method === 'GET' ? request.query : await readBody(request, this.bodyLimit);
    if (route.guard) {
      const guard = route.guard(request, reply);
      if (guard) await guard;
    }
    const valid =
      !route.dto || route.accept?.(input) ? input : await this.pipe.transform(input, { type: route.method === 'GET' ? 'query' : 'body', metatype: route.dto });
    return route.handle(valid as object, request, reply);
  }

  private send(route: LeanRoute, reply: FastifyReply, result: unknown): void {
    if (result instanceof RawAnswer) void reply.code(result.statusCode).headers(result.headers).send(result.body);
    else
      void reply
        .code(route.status ?? 200)
        .header('content-type', 'application/json; charset=utf-8')
        .send(JSON.stringify(result));
  }

  private fail(request: FastifyRequest, reply: FastifyReply, error: unknown): void {
    const answer = errorAnswer(error, this.errorStatus);
    if (answer.status >= 500) {
      this.logger.error({ err: error, method: request.method, url: request.url }, `Unhandled error: ${error instanceof Error ? error.message : String(error)}`);
    }
    void reply.code(answer.status).headers(answer.headers).send(answer.body);
  }

  private done(route: LeanRoute, request: FastifyRequest, reply: FastifyReply, started: number): void {
    this.answeredOne(route, { id: request.id, method: request.method, url: request.url }, reply.statusCode, started);
  }

  /** Counts an answer of `route` once in http_requests_total, and writes its access-log line. */
  answeredOne(route: LeanRoute, req: { id: string; method: string; url: string }, statusCode: number, started: number): void {
    let count = this.counters.get(route);
    if (!count && this.metrics) this.counters.set(route, (count = this.metrics.leanCounter(route.method, route.path)));
    count?.(statusCode);
    // The access log line pino-http writes for the other routes, without a per-request child
    // logger — and, as there, none for probes and scrapes.
    const log = PinoLogger.root;
    if (log?.isLevelEnabled('info') && !QUIET_PATHS.test(req.url)) {
      log.info({ req, res: { statusCode }, responseTime: Math.round(performance.now() - started) }, 'request completed');
    }
  }
}

/**
 * Serves `routes` on the app's lean lane (see `LeanRoute`). The app must come from
 * `createHttpApp`, which puts the lane's hook first.
 */
export function serveLeanRoutes(app: NestFastifyApplication, routes: readonly LeanRoute[]): void {
  const lane = lanes.get(app.getHttpAdapter().getInstance());
  if (!lane) throw new Error('serveLeanRoutes needs an app made by createHttpApp');
  lane.add(routes);
}

/**
 * A `before` (or `guard`) step that runs the controller's guards (e.g. the per-IP ThrottlerGuard)
 * one after the other, as Nest would for `controller.method`: same metadata (per-route limits),
 * same keys, same headers, same order.
 */
export function runGuardAs(
  guards: CanActivate | readonly CanActivate[],
  controller: Type<unknown>,
  method: string,
): (request: FastifyRequest, reply: FastifyReply) => Promise<void> | undefined {
  const handler = (controller.prototype as Record<string, unknown>)[method];
  if (typeof handler !== 'function') throw new Error(`${controller.name} has no method ${method}`);
  const chain = Array.isArray(guards) ? (guards as readonly CanActivate[]) : [guards as CanActivate];
  return (request, reply) => {
    const context = new ExecutionContextHost([request, reply], controller, handler as () => unknown);
    // Guards that can decide without a promise (LaneThrottlerGuard.canActivateNow) do, in order,
    // until one cannot: from there on every guard is awaited as Nest awaits it.
    for (let i = 0; i < chain.length; i += 1) {
      const guard = chain[i] as CanActivate & { canActivateNow?: (context: ExecutionContextHost) => boolean | undefined };
      const now = guard.canActivateNow?.(context);
      if (now === undefined) return awaitGuards(chain.slice(i), context);
      if (!now) throw new ForbiddenException();
    }
    return undefined;
  };
}

async function awaitGuards(guards: readonly CanActivate[], context: ExecutionContextHost): Promise<void> {
  for (const guard of guards) if (!(await guard.canActivate(context))) throw new ForbiddenException();
}

/**
 * The body as Fastify would hand it to a route: JSON through `parseJsonBody`, `text/plain` as a
 * string (Fastify's built-in parser; the DTO then refuses it), anything else 415 — and nothing
 * over `limit` bytes (413).
 */
async function readBody(request: FastifyRequest, limit: number): Promise<unknown> {
  const type = request.headers['content-type'];
  const json = typeof type === 'string' && /^application\/json\s*(;|$)/i.test(type);
  if (!json && !(typeof type === 'string' && /^text\/plain\s*(;|$)/i.test(type))) {
    throw new DomainError('unsupported_media_type', 'This content type is not accepted; send application/json.');
  }
  const declared = request.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) throw tooLarge();
  const text = (await readRaw(request.raw, limit)).toString('utf8');
  return json ? parseJsonBody(text, DEFAULT_JSON_LIMITS) : text;
}

/**
 * The body's bytes, read as Fastify's own body parser reads them — listeners on the stream, not an
 * async iterator (a promise per chunk and an end-of-stream watcher per request, on every refresh
 * and sign-in step). Past `limit` it stops listening and answers 413, as Fastify does.
 */
function readRaw(raw: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (error?: Error): void => {
      if (done) return;
      done = true;
      raw.off('data', onData).off('end', onEnd).off('error', finish).off('close', onClose);
      if (error) reject(error);
      else resolve(Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) finish(tooLarge());
      else chunks.push(chunk);
    };
    const onEnd = (): void => finish();
    // A client gone before the end of its body: no 'end' will come.
    const onClose = (): void => finish(new Error('The request was closed before its body ended'));
    raw.on('data', onData).on('end', onEnd).on('error', finish).on('close', onClose);
  });
}

const tooLarge = () => new DomainError('payload_too_large', 'The request body is larger than allowed.');
