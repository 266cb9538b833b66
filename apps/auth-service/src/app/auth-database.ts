import type { DatabaseOptions } from '@keyhaven/database';
import { Account } from '../accounts/entities/account.entity';
import { TotpFactor } from '../factors/entities/totp-factor.entity';
import { RecoveryCode } from '../recovery-codes/entities/recovery-code.entity';
import { SecurityEvent } from '../security-events/entities/security-event.entity';
import { ConsumedToken } from '../sessions/entities/consumed-token.entity';
import { RefreshToken } from '../sessions/entities/refresh-token.entity';
import { RememberedDevice } from '../sessions/entities/remembered-device.entity';
import { Session } from '../sessions/entities/session.entity';
import { WebAuthnChallenge } from '../webauthn/entities/webauthn-challenge.entity';
import { WebAuthnCredential } from '../webauthn/entities/webauthn-credential.entity';
import { SigningKey } from '../signing-keys/entities/signing-key.entity';
import { KeyCheck } from '../crypto/entities/key-check.entity';
import { AccountTombstone } from '../privacy/entities/account-tombstone.entity';
import { DirectorySyncRun } from '../directory/entities/directory-sync-run.entity';
import { AUTH_MIGRATIONS } from '../migrations';

export const AUTH_ENTITIES = [
  Account,
  SigningKey,
  TotpFactor,
  RecoveryCode,
  SecurityEvent,
  ConsumedToken,
  WebAuthnCredential,
  WebAuthnChallenge,
  KeyCheck,
  Session,
  RefreshToken,
  RememberedDevice,
  AccountTombstone,
  DirectorySyncRun,
];

/** auth-service owns the PostgreSQL schema `auth`: its tables, its migrations table. */
export const AUTH_DATABASE = {
  schema: 'auth',
  entities: AUTH_ENTITIES,
  migrations: AUTH_MIGRATIONS,
  migrationsPath: 'apps/auth-service/src/migrations',
} satisfies Omit<DatabaseOptions, 'url'>;
