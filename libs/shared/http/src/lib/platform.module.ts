import type { IncomingMessage } from 'node:http';
import { DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import type { LogLevel } from '@keyhaven/config';
import { HealthController } from './health';
import { MetricsController, MetricsRegistry } from './metrics';

export interface PlatformOptions {
  service: string;
  logLevel: LogLevel;
}

/**
 * The operational surface every Keyhaven service shares: structured JSON logs with request
 * ids, `/health/live`, `/health/ready` and `/metrics`.
 */
const QUIET_PATHS = /^\/(health|metrics)(\/|$|\?)/;

@Module({})
export class PlatformModule {
  static forRoot(options: PlatformOptions): DynamicModule {
    return {
      module: PlatformModule,
      global: true,
      imports: [
        TerminusModule.forRoot({ logger: false }),
        LoggerModule.forRoot({
          pinoHttp: {
            level: options.logLevel,
            base: { service: options.service },
            redact: {
              paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
              censor: '[redacted]',
            },
            // Probes and scrapes are frequent and uninteresting. Fastify's middleware layer may rewrite
            // `url`, so match on the original one.
            autoLogging: { ignore: (req: IncomingMessage & { originalUrl?: string }) => QUIET_PATHS.test(req.originalUrl ?? req.url ?? '') },
          },
        }),
      ],
      controllers: [HealthController, MetricsController],
      providers: [MetricsRegistry],
      exports: [MetricsRegistry],
    };
  }
}
