import { ConsoleLogger, Logger } from '@nestjs/common';
import { ConfigError } from '@keyhaven/config';
import { migrateAndMarkReady, openEmbeddedDatabase } from '@keyhaven/http';
import { createAuthApp } from '../app/create-app';
import { AUTH_SERVICE, AuthConfig } from '../config/auth.config';
import { TotpFactorsService } from '../factors/totp-factors.service';
import { SigningKeysService } from '../signing-keys/signing-keys.service';
import { KeyCustody } from './key-custody';

/**
 * `node dist/apps/auth-service/main.js reencrypt`: after a new key was put FIRST in
 * AUTH_ENCRYPTION_KEYS (old ones kept after it), rewrites every TOTP secret and signing key
 * still sealed under an older key. Safe to run while the service serves (each row is swapped
 * with a conditional UPDATE on its old ciphertext) and to run again. Afterwards the old key can
 * be dropped from AUTH_ENCRYPTION_KEYS.
 */
export async function runReencrypt(load: (env: Record<string, string | undefined>) => AuthConfig, env: Record<string, string | undefined>): Promise<void> {
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
  // Embedded mode: joins the server `npm start` runs (or starts one for the duration).
  const embedded = config.databaseUrl ? undefined : await openEmbeddedDatabase(AUTH_SERVICE, config.dataDir, { log: () => undefined });
  const databaseUrl = config.databaseUrl ?? embedded?.url ?? '';
  const app = await createAuthApp({ ...config, logLevel: 'warn' }, databaseUrl);
  try {
    await app.init();
    await migrateAndMarkReady(app, { log: () => undefined });
    try {
      // Keys missing from the ring or not matching their id cannot be fixed by re-encrypting: say so in one line.
      await app.get(KeyCustody).verify();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      process.stderr.write(`${AUTH_SERVICE}: ${error.message}\n`);
      process.exitCode = 1;
      return;
    }
    const secrets = await app.get(TotpFactorsService).reencrypt();
    const keys = await app.get(SigningKeysService).reencrypt();
    // Straight to stdout: the app's logger runs at warn level here to keep the output to this line.
    process.stdout.write(`${AUTH_SERVICE} reencrypt: re-encrypted ${secrets} TOTP secret(s) and ${keys} signing key(s) under key ${config.encryptionKeys?.[0]?.kid ?? '(generated)'}\n`);
  } finally {
    await app.close();
    await embedded?.stop();
  }
}
