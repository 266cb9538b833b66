import { runOneOff } from '../app/one-off-command';
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
export function runReencrypt(load: (env: Record<string, string | undefined>) => AuthConfig, env: Record<string, string | undefined>): Promise<void> {
  return runOneOff(load, env, async (app, config) => {
    // Keys missing from the ring or not matching their id cannot be fixed by re-encrypting: said in one line (a ConfigError).
    await app.get(KeyCustody).verify();
    const secrets = await app.get(TotpFactorsService).reencrypt();
    const keys = await app.get(SigningKeysService).reencrypt();
    return `${AUTH_SERVICE} reencrypt: re-encrypted ${secrets} TOTP secret(s) and ${keys} signing key(s) under key ${config.encryptionKeys?.[0]?.kid ?? '(generated)'}`;
  });
}
