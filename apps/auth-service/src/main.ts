import 'reflect-metadata';
import { bootService } from '@keyhaven/http';
import { AUTH_SERVICE, loadAuthConfig } from './config/auth.config';
import { AUTH_DATABASE } from './app/auth-database';
import { createAuthApp } from './app/create-app';

bootService({
  name: AUTH_SERVICE,
  loadConfig: loadAuthConfig,
  database: AUTH_DATABASE,
  createApp: createAuthApp,
}).catch((error: unknown) => {
  process.stderr.write(`${AUTH_SERVICE}: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
