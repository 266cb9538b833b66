import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ApiDocsInfo, createHttpApp, serveLeanRoutes } from '@keyhaven/http';
import type { AuthConfig } from '../config/auth.config';
import { AppModule, AuthAppOverrides } from './app.module';
import { registerAccountWeb } from '../account-web/account-web.static';
import { AUTH_ERROR_STATUS } from './auth-errors';
import { authLeanRoutes } from '../sessions/lean-routes';

export const AUTH_API_DOCS: ApiDocsInfo = {
  title: 'Keyhaven auth-service',
  description: 'Accounts, sessions with assurance levels and second factors (TOTP, WebAuthn, recovery codes).',
  version: '1',
};

/** Builds auth-service without listening: main.ts serves it, tests inject into it. */
export async function createAuthApp(config: AuthConfig, databaseUrl: string, overrides: AuthAppOverrides = {}): Promise<NestFastifyApplication> {
  const app = await createHttpApp(AppModule.forRoot(config, databaseUrl, overrides), {
    errorStatus: AUTH_ERROR_STATUS,
    trustProxy: config.trustProxy,
    docs: AUTH_API_DOCS,
  });
  serveLeanRoutes(app, await authLeanRoutes(app));
  // The account page shares the API's origin, so it needs no CORS and its token never leaves it.
  if (!(await registerAccountWeb(app.getHttpAdapter().getInstance(), config.accountWebDir))) {
    new Logger('AccountWeb').warn(`The account page is not built (no index.html in ${config.accountWebDir}): serving the API only. Run npm run build.`);
  }
  return app;
}
