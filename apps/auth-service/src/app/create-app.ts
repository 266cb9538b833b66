import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHttpApp } from '@keyhaven/http';
import type { AuthConfig } from '../config/auth.config';
import { AppModule, AuthAppOverrides } from './app.module';
import { AUTH_ERROR_STATUS } from './auth-errors';

/** Builds auth-service without listening: main.ts serves it, tests inject into it. */
export function createAuthApp(config: AuthConfig, databaseUrl: string, overrides: AuthAppOverrides = {}): Promise<NestFastifyApplication> {
  return createHttpApp(AppModule.forRoot(config, databaseUrl, overrides), {
    errorStatus: AUTH_ERROR_STATUS,
    docs: {
      title: 'Keyhaven auth-service',
      description: 'Accounts, sessions with assurance levels and second factors (TOTP, WebAuthn, recovery codes).',
      version: '1',
    },
  });
}
