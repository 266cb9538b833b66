import { HttpStatus, INestApplication, Logger as NestLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication, RouteConfig } from '@nestjs/platform-fastify';
import { OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import createFastify, { type FastifyInstance } from 'fastify';
import { ApiExceptionFilter, createValidationPipe, DomainError } from '@keyhaven/errors';
import { MetricsRegistry } from './metrics';
import { DEFAULT_JSON_LIMITS, JsonBodyLimits, parseJsonBody } from './json-body';
import { answerClientError, answerFrameworkError, BASELINE_HEADERS, refuseNulInUrl } from './request-gate';
import { protectDocs } from './docs-policy';
import { BootLogBuffer } from './boot-log-buffer';
import { LeanLane } from './lean-route';
import { answerAheadOfFastify } from './lean-at-once';
import { LIVE_ROUTE } from './health';
import { ApiDocsInfo, openApiDocument } from './openapi';

export interface HttpAppOptions {
  /** The service's exhaustive error code → status table. */
  errorStatus: Readonly<Record<string, HttpStatus>>;
  docs: ApiDocsInfo;
  /** Largest accepted request body; larger ones are answered 413 `payload_too_large`. */
  bodyLimit?: number;
  /**
   * TRUST_PROXY: the proxies in front whose X-Forwarded-For is believed (addresses, CIDR ranges),
   * so per-IP limits and audit prefixes see the client, not the proxy. Empty: nobody's.
   */
  trustProxy?: readonly string[];
}

/**
 * Creates a Keyhaven service on Fastify with the house conventions: one exception filter, one
 * validation pipe, pino logs, Prometheus hooks, OpenAPI at `/docs` and `/docs/json`.
 */
export async function createHttpApp(module: unknown, options: HttpAppOptions): Promise<NestFastifyApplication> {
  const instance = createFastify({
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    // Fastify (proxy-addr) walks X-Forwarded-For from the right, past trusted hops only.
    trustProxy: options.trustProxy?.length ? [...options.trustProxy] : false,
    // Close idle keep-alive sockets on shutdown so in-flight requests decide how long it takes.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    // A caller's (or proxy's) request id is kept when it is sane, else one is minted; logs carry it.
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    // Longer than any version or id a route takes (versions allow 256 characters); a longer
    // segment is answered 414 uri_too_long by answerFrameworkError.
    routerOptions: { maxParamLength: 512 },
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
  });
  // The lean lane's hook comes first of all: before the one NestFactory.create adds for Nest's
  // middleware (middie), which is why the Fastify instance is made here and handed to the adapter.
  const lane = new LeanLane(instance, options.errorStatus);
  lane.add([LIVE_ROUTE]);
  answerAheadOfFastify(instance, lane, options.trustProxy);
  const adapter = new FastifyAdapter(instance);
  const bootLog = new BootLogBuffer();
  const app = await NestFactory.create<NestFastifyApplication>(module as never, adapter, {
    logger: bootLog,
    // JSON bodies are parsed by parseJsonStrictly below; forms only where a route accepts them
    // (parseFormsWhereAccepted), others are refused (415).
    bodyParser: false,
    abortOnError: false,
  });
  const logger = app.get(Logger);
  app.useLogger(logger);
  // The boot messages were kept until pino was there, each with its own time.
  bootLog.replayInto(logger);
  app.useGlobalFilters(new ApiExceptionFilter(options.errorStatus));
  app.useGlobalPipes(createValidationPipe());
  const fastify = app.getHttpAdapter().getInstance();
  lane.countWith(app.get(MetricsRegistry));
  parseJsonStrictly(fastify);
  parseFormsWhereAccepted(fastify);
  fastify.addHook('onRequest', (request, reply, done) => {
    if (!REQUEST_ID.test(request.id)) request.id = randomUUID();
    reply.header('x-request-id', request.id);
    reply.headers(BASELINE_HEADERS);
    done();
  });
  fastify.addHook('onRequest', refuseNulInUrl);
  app.get(MetricsRegistry).instrument(fastify, (request) => lane.answered.has(request));

  // Built on the first /docs request, not at boot: scanning every route's metadata is boot time
  // that no probe or client needs.
  let document: OpenAPIObject | undefined;
  const documentOnFirstRequest = () => (document ??= openApiDocument(app, options.docs));
  protectDocs(fastify);
  SwaggerModule.setup('docs', app, documentOnFirstRequest, { jsonDocumentUrl: 'docs/json', yamlDocumentUrl: 'docs/yaml' });
  return app;
}

export interface RunningService {
  url: string;
}

/**
 * Listens, and on SIGTERM/SIGINT (or when the supervisor that spawned it over IPC is gone) closes the server (finishing in-flight requests), the
 * modules (database pools) and then `onClose` hooks such as the embedded database; exits 0.
 */
export async function listenUntilSignal(
  app: INestApplication,
  options: { port: number; host: string; name: string; onClose?: () => Promise<void> },
): Promise<RunningService> {
  await app.listen(options.port, options.host);
  const logger = new NestLogger(options.name);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const url = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`;
  let closing = false;
  const shutdown = (reason: string) => {
    if (closing) return;
    closing = true;
    logger.log(`${reason}: finishing in-flight requests and closing`);
    const hardStop = setTimeout(() => {
      logger.error('Shutdown took longer than 20 s; exiting');
      process.exit(1);
    }, 20_000);
    hardStop.unref();
    app
      .close()
      .then(() => options.onClose?.())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error(`Shutdown failed: ${String(error)}`);
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM received'));
  process.once('SIGINT', () => shutdown('SIGINT received'));
  // Started by a supervisor with an IPC channel (`npm start`): its end closing means the
  // supervisor is gone, even killed with SIGKILL — stop rather than linger on the ports.
  if (process.send) process.once('disconnect', () => shutdown('the supervisor (IPC parent) is gone'));
  return { url };
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * Marks a route that takes an HTML form post (or a mail client's RFC 8058 one-click
 * unsubscribe): `application/x-www-form-urlencoded` arrives as an object of strings,
 * `multipart/form-data` as an empty object (no route needs its fields). Every other route
 * keeps answering forms with 415, so no JSON route ever meets a body it was not written for.
 */
export const AcceptsForm = () => RouteConfig({ acceptsForm: true });

/**
 * Raises the JSON body limits of one route above DEFAULT_JSON_LIMITS (a bulk import). The
 * route's handler must then not hand the body to class-validator whole.
 */
export const JsonLimits = (limits: Partial<JsonBodyLimits>) => RouteConfig({ jsonLimits: limits });

function jsonLimitsOf(config: unknown): JsonBodyLimits {
  const own = (config as { jsonLimits?: Partial<JsonBodyLimits> } | undefined)?.jsonLimits;
  return own ? { ...DEFAULT_JSON_LIMITS, ...own } : DEFAULT_JSON_LIMITS;
}

function parseFormsWhereAccepted(fastify: FastifyInstance): void {
  const refuse = (contentType: string) => new DomainError('unsupported_media_type', `This endpoint does not accept ${contentType}; send JSON.`);
  fastify.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (request, body, done) => {
    if (!(request.routeOptions.config as { acceptsForm?: boolean }).acceptsForm) done(refuse('application/x-www-form-urlencoded'), undefined);
    else if (String(body).includes('\0') || /%00/i.test(String(body)))
      done(new DomainError('validation_failed', 'The form must not contain NUL characters.'), undefined);
    else done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });
  fastify.addContentTypeParser('multipart/form-data', { parseAs: 'string' }, (request, _body, done) => {
    if ((request.routeOptions.config as { acceptsForm?: boolean }).acceptsForm) done(null, {});
    else done(refuse('multipart/form-data'), undefined);
  });
}

/**
 * Nest turns Fastify's own parse errors into bare status codes; parsing JSON here keeps the
 * contract's `malformed_json` code and applies the body limits (see `parseJsonBody`).
 */
function parseJsonStrictly(fastify: FastifyInstance): void {
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    try {
      done(null, parseJsonBody(String(body), jsonLimitsOf(request.routeOptions.config)));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}
