import type { IncomingMessage } from 'node:http';
import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import pino from 'pino';
import type { DestinationStream } from 'pino';
import type { Options as PinoHttpOptions } from 'pino-http';
import type { LogLevel } from '@keyhaven/config';
import { redactDatabaseError, redactDatabaseText } from '@keyhaven/database';
import { HealthController } from './health';
import { MetricsController, MetricsRegistry } from './metrics';
import { logTimestamp } from './boot-log-buffer';
import { QUIET_PATHS } from './access-log';

export interface PlatformOptions {
  service: string;
  logLevel: LogLevel;
  /** Where log lines go; standard output unless a test captures them. */
  logDestination?: DestinationStream;
}

/**
 * The operational surface every Keyhaven service shares: structured JSON logs with request
 * ids, `/health/live`, `/health/ready` and `/metrics`.
 */

@Module({})
export class PlatformModule {
  static forRoot(options: PlatformOptions): DynamicModule {
    const pinoOptions: PinoHttpOptions = {
      level: options.logLevel,
      base: { service: options.service },
      timestamp: logTimestamp,
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
        censor: '[redacted]',
      },
      // Fastify's middleware layer may rewrite `url`, so match on the original one.
      autoLogging: { ignore: (req: IncomingMessage & { originalUrl?: string }) => QUIET_PATHS.test(req.originalUrl ?? req.url ?? '') },
      // Failed statements carry their parameters (emails, sealed secrets) in the error message and
      // in PostgreSQL's detail: every error and every message is redacted on its way out, whoever
      // logs it (the exception filter's 500s, job loops, MikroORM).
      serializers: { err: (error: unknown) => redactDatabaseError(pino.stdSerializers.err(error as Error)) },
      hooks: {
        logMethod(args, method) {
          const redacted = args.map((arg) => (typeof arg === 'string' ? redactDatabaseText(arg) : arg));
          method.apply(this, redacted as Parameters<typeof method>);
        },
      },
    };
    return {
      module: PlatformModule,
      global: true,
      imports: [LoggerModule.forRoot({ pinoHttp: options.logDestination ? [pinoOptions, options.logDestination] : pinoOptions })],
      controllers: [HealthController, MetricsController],
      providers: [MetricsRegistry],
      exports: [MetricsRegistry],
    };
  }
}
