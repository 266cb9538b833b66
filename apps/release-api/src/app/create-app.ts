import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHttpApp, serveLeanRoutes } from '@keyhaven/http';
import type { ReleaseConfig } from '../config/release.config';
import { AppModule, ReleaseAppOptions } from './app.module';
import { RELEASE_ERROR_STATUS } from './release-errors';
import { checkLeanRoute } from '../check/check.lean-route';

/** Builds release-api without listening: main.ts serves it, tests inject into it. */
export async function createReleaseApp(config: ReleaseConfig, databaseUrl: string, options: ReleaseAppOptions = {}): Promise<NestFastifyApplication> {
  const app = await createHttpApp(AppModule.forRoot(config, databaseUrl, options), {
    errorStatus: RELEASE_ERROR_STATUS,
    trustProxy: config.trustProxy,
    docs: {
      title: 'Keyhaven release-api',
      description: 'Release catalog, security advisories, the signed update check and maintenance windows.',
      version: '1',
    },
  });
  serveLeanRoutes(app, [checkLeanRoute(app)]);
  return app;
}
