import { CanActivate, ForbiddenException, HttpStatus, Logger, Type } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import { createValidationPipe, DomainError, errorAnswer } from '@keyhaven/errors';
import { DEFAULT_JSON_LIMITS, parseJsonBody } from './json-body';

/**
 * A hot JSON route answered in Fastify's `onRequest` phase, before Nest's middleware (per-request
 * logger child, ORM request context), guards, pipes and interceptors: what is left per request is
 * reading the body, a structural check, the handler and one write. The Nest controller method of
 * the same path stays — it documents the route in OpenAPI and defines it — and the lean route must
 * do exactly what it does; the route's tests go over HTTP and so cover the lean path.
 *
 * The same gate as every other route: the media types Fastify parses (else 415), the body limit (413), the JSON shape
 * limits and NUL refusal of `parseJsonBody`, and validation against the route's DTO — `accept`
 * is only a fast structural check of the common, valid case; any body it refuses goes through
 * the service's validation pipe with the DTO, so a bad body gets the very same
 * `validation_failed` answer as on any other route. Errors leave through `errorAnswer`, the
 * exception filter's own mapping.
 */
export interface LeanJsonRoute<Input extends object> {
  method: 'POST';
  /** The exact path (a query string is ignored, as Nest's router does). */
  path: string;
  /** The DTO the controller method takes: the authority on what is valid. */
  dto: Type<Input>;
  /** True only for bodies the DTO certainly accepts unchanged (no unknown keys, right types). */
  accept(body: unknown): body is Input;
  /** Runs before the body is read (e.g. a per-IP limit); throws a domain or HTTP error to refuse. */
  before?(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  /** The controller method's work; its result is sent as JSON with `status`. */
  handle(input: Input, request: FastifyRequest, reply: FastifyReply): Promise<unknown>;
  status?: number;
  /** Headers of every answer, errors included (e.g. `cache-control: no-store`). */
  headers?: Readonly<Record<string, string>>;
}

export interface LeanRoutesOptions {
  /** The service's error code → status table (as for the exception filter). */
  errorStatus: Readonly<Record<string, HttpStatus>>;
}

/**
 * A `before` step that runs one of the controller's guards (e.g. the per-IP ThrottlerGuard) as
 * Nest would for `controller.method`: same metadata (per-route limits), same keys, same headers.
 */
export function runGuardAs(guard: CanActivate, controller: Type<unknown>, method: string): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const handler = (controller.prototype as Record<string, unknown>)[method];
  if (typeof handler !== 'function') throw new Error(`${controller.name} has no method ${method}`);
  return async (request, reply) => {
    const context = new ExecutionContextHost([request, reply], controller, handler as () => unknown);
    if (!(await guard.canActivate(context))) throw new ForbiddenException();
  };
}

/**
 * Serves `routes` in an `onRequest` hook. Call it before the application is initialised (before
 * `listen` or `init`), so the hook runs ahead of the middleware Nest registers then.
 */
export function serveLeanRoutes(app: NestFastifyApplication, routes: readonly LeanJsonRoute<object>[], options: LeanRoutesOptions): void {
  const fastify = app.getHttpAdapter().getInstance();
  const byKey = new Map(routes.map((route) => [`${route.method} ${route.path}`, route]));
  const pipe = createValidationPipe();
  const logger = new Logger('LeanRoute');
  const bodyLimit = fastify.initialConfig.bodyLimit ?? 1024 * 1024;
  fastify.addHook('onRequest', async (request, reply) => {
    const query = request.url.indexOf('?');
    const route = byKey.get(`${request.method} ${query === -1 ? request.url : request.url.slice(0, query)}`);
    if (!route) return;
    const started = performance.now();
    if (route.headers) void reply.headers(route.headers);
    try {
      if (route.before) await route.before(request, reply);
      const body = await readBody(request, bodyLimit);
      const input = route.accept(body) ? body : ((await pipe.transform(body, { type: 'body', metatype: route.dto })) as object);
      const result = await route.handle(input, request, reply);
      void reply.code(route.status ?? 200).header('content-type', 'application/json; charset=utf-8').send(JSON.stringify(result));
    } catch (error) {
      const answer = errorAnswer(error, options.errorStatus);
      if (answer.status >= 500) {
        logger.error({ err: error, method: request.method, url: request.url }, `Unhandled error: ${error instanceof Error ? error.message : String(error)}`);
      }
      void reply.code(answer.status).headers(answer.headers).send(answer.body);
    }
    // The access log line pino-http writes for the other routes (it is skipped here with the rest
    // of the middleware), without a per-request child logger.
    const log = PinoLogger.root;
    if (log?.isLevelEnabled('info')) {
      log.info({ req: { id: request.id, method: request.method, url: request.url }, res: { statusCode: reply.statusCode }, responseTime: Math.round(performance.now() - started) }, 'request completed');
    }
    return reply;
  });
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
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request.raw) {
    size += (chunk as Buffer).length;
    if (size > limit) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks, size).toString('utf8');
  return json ? parseJsonBody(text, DEFAULT_JSON_LIMITS) : text;
}

const tooLarge = () => new DomainError('payload_too_large', 'The request body is larger than allowed.');
