import { ConsoleLogger, Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ConfigError } from '@keyhaven/config';
import { migrateAndMarkReady, openEmbeddedDatabase } from '@keyhaven/http';
import { AUTH_SERVICE, AuthConfig } from '../config/auth.config';
import { createAuthApp } from './create-app';

/**
 * A command of `main.js` beside serving (`reencrypt`, `retention`): the service's configuration
 * and database (in embedded mode it joins the server `npm start` runs, or starts one for the
 * duration), migrations applied, then `work`; its answer is printed as one line. A bad
 * configuration is one line on stderr and exit code 1.
 */
export async function runOneOff(
  load: (env: Record<string, string | undefined>) => AuthConfig,
  env: Record<string, string | undefined>,
  work: (app: NestFastifyApplication, config: AuthConfig) => Promise<string>,
): Promise<void> {
  Logger.overrideLogger(new ConsoleLogger({ json: true, colors: false, logLevels: ['warn', 'error', 'fatal'] }));
  let config: AuthConfig;
  try {
    config = load(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${AUTH_SERVICE}: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const embedded = config.databaseUrl ? undefined : await openEmbeddedDatabase(AUTH_SERVICE, config.dataDir, { log: () => undefined });
  const databaseUrl = config.databaseUrl ?? embedded?.url ?? '';
  const app = await createAuthApp({ ...config, logLevel: 'warn' }, databaseUrl);
  try {
    await app.init();
    await migrateAndMarkReady(app, { log: () => undefined });
    try {
      // Straight to stdout: the app's logger runs at warn level here to keep the output to this line.
      process.stdout.write(`${await work(app, config)}\n`);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      process.stderr.write(`${AUTH_SERVICE}: ${error.message}\n`);
      process.exitCode = 1;
    }
  } finally {
    await app.close();
    await embedded?.stop();
  }
}
