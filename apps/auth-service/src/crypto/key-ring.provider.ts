import { Logger, Provider } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { AUTH_CONFIG, AUTH_SERVICE, AuthConfig } from '../config/auth.config';
import { formatKeyRing, KeyRing, parseKeyRing } from './key-ring';

export const EMBEDDED_KEY_FILE = 'auth-encryption.keys';

/**
 * The ring from AUTH_ENCRYPTION_KEYS; in embedded mode without it, a key generated once into
 * `DATA_DIR/auth-service/` (loud in the log: whoever copies the data dir copies the key with it).
 */
export async function resolveKeyRing(config: AuthConfig, logger: Pick<Logger, 'warn'> = new Logger('KeyRing')): Promise<KeyRing> {
  if (config.encryptionKeys) return new KeyRing(config.encryptionKeys);
  // The service's own folder in DATA_DIR (the embedded cluster beside it serves both services).
  const dir = resolve(config.dataDir, AUTH_SERVICE);
  const file = join(dir, EMBEDDED_KEY_FILE);
  try {
    const ring = new KeyRing(parseKeyRing((await readFile(file, 'utf8')).trim()));
    logger.warn(`AUTH_ENCRYPTION_KEYS is not set: using the generated key in ${file} (embedded mode only).`);
    return ring;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dir, { recursive: true });
  const entries = [{ kid: `local-${randomBytes(3).toString('hex')}`, key: randomBytes(32) }];
  // 'wx': two processes racing on one data dir must not overwrite each other's key.
  await writeFile(file, `${formatKeyRing(entries)}\n`, { mode: 0o600, flag: 'wx' }).catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  logger.warn(
    `AUTH_ENCRYPTION_KEYS is not set: generated an encryption key into ${file}. Fine for a demo, but the key sits next to the data it protects (a copy of DATA_DIR includes it): for production set AUTH_ENCRYPTION_KEYS.`,
  );
  return new KeyRing(parseKeyRing((await readFile(file, 'utf8')).trim()));
}

export const KEY_RING_PROVIDER: Provider = {
  provide: KeyRing,
  inject: [AUTH_CONFIG],
  useFactory: (config: AuthConfig) => resolveKeyRing(config),
};
