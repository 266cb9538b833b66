import { z } from 'zod';
import { CommonConfig, commonEnvShape, ConfigError, env, parseEnv, toCommonConfig } from '@keyhaven/config';
import { KeyRingEntry, parseKeyRing } from '../crypto/key-ring';

export const AUTH_SERVICE = 'auth-service';

export const authEnvSchema = z.object({
  ...commonEnvShape(AUTH_SERVICE, 3000),
  AUTH_ISSUER: env.url(['http:', 'https:'], 'http://localhost:3000'),
  /** `kid1:base64key,kid2:base64key` — 32-byte AES keys, the first one encrypts, all decrypt. */
  AUTH_ENCRYPTION_KEYS: env.optionalString(),
  AUTH_SIGNUP: env.oneOf(['open', 'closed'] as const, 'open'),
  AUTH_BOOTSTRAP_EMAIL: env.optionalString(),
  AUTH_BOOTSTRAP_PASSWORD: env.optionalString(),
  AUTH_BOOTSTRAP_ROLES: env.list(['admin', 'ops']),
  AUTH_ACCESS_TOKEN_TTL: env.duration('15m'),
  AUTH_PENDING_TOKEN_TTL: env.duration('5m'),
  AUTH_TOTP_ISSUER: env.string('Keyhaven'),
  AUTH_MFA_ENFORCED: env.string('off'),
  AUTH_MFA_GRACE_PERIOD: env.duration('7d'),
  AUTH_STEP_UP_MAX_AGE: env.duration('10m'),
  AUTH_MFA_FREE_ATTEMPTS: env.int(3, { min: 1, max: 20 }),
  AUTH_MFA_DELAY_BASE: env.duration('30s'),
  AUTH_MFA_LOCK_AFTER: env.int(10, { min: 2, max: 50 }),
  AUTH_MFA_LOCK_DURATION: env.duration('1h'),
  AUTH_THROTTLE_LIMIT: env.int(30, { min: 1, max: 1_000_000 }),
  AUTH_THROTTLE_WINDOW: env.duration('1m'),
  SMTP_URL: env.optionalUrl(['smtp:', 'smtps:']),
  MAIL_FROM: env.string('Keyhaven <no-reply@keyhaven.local>'),
});

/** Who must have a second factor: nobody, everybody, or accounts holding one of these roles. */
export type MfaEnforcement = { mode: 'off' } | { mode: 'all' } | { mode: 'roles'; roles: string[] };

export interface AuthConfig extends CommonConfig {
  issuer: string;
  /** Undefined only in embedded mode: then a key is generated into DATA_DIR (see key-ring.provider). */
  encryptionKeys: KeyRingEntry[] | undefined;
  signupOpen: boolean;
  bootstrap: { email: string; password: string; roles: string[] } | undefined;
  accessTokenTtlMs: number;
  pendingTokenTtlMs: number;
  totpIssuer: string;
  mfaEnforced: MfaEnforcement;
  mfaGracePeriodMs: number;
  stepUpMaxAgeMs: number;
  attempts: { free: number; delayBaseMs: number; lockAfter: number; lockDurationMs: number };
  throttle: { limit: number; windowMs: number };
  smtpUrl: string | undefined;
  mailFrom: string;
}

function parseEnforcement(raw: string): MfaEnforcement {
  const text = raw.trim().toLowerCase();
  if (text === 'off' || text === 'false' || text === 'none') return { mode: 'off' };
  if (text === 'all' || text === 'true') return { mode: 'all' };
  const roles = text.split(',').map((r) => r.trim()).filter((r) => /^[a-z][a-z0-9_-]*$/.test(r));
  if (roles.length === 0) throw new ConfigError([`AUTH_MFA_ENFORCED: expected off, all or a comma-separated list of roles, got ${JSON.stringify(raw)}`]);
  return { mode: 'roles', roles };
}

/** The one place auth-service reads its environment. */
export function loadAuthConfig(source: Record<string, string | undefined>): AuthConfig {
  const parsed = parseEnv(authEnvSchema, source);
  let encryptionKeys: KeyRingEntry[] | undefined;
  try {
    encryptionKeys = parsed.AUTH_ENCRYPTION_KEYS === undefined ? undefined : parseKeyRing(parsed.AUTH_ENCRYPTION_KEYS);
  } catch (error) {
    throw new ConfigError([`AUTH_ENCRYPTION_KEYS: ${error instanceof Error ? error.message : String(error)}`]);
  }
  // A shared database outlives any one process: a key generated on the fly would make every
  // stored secret unreadable to the other replicas and after a restart elsewhere.
  if (parsed.DATABASE_URL && !encryptionKeys) {
    throw new ConfigError([
      'AUTH_ENCRYPTION_KEYS: is required when DATABASE_URL is set: expected kid:base64 32-byte key[,kid:key…], e.g. k1:$(openssl rand -base64 32)',
    ]);
  }
  const bootstrapEmail = parsed.AUTH_BOOTSTRAP_EMAIL;
  const bootstrapPassword = parsed.AUTH_BOOTSTRAP_PASSWORD;
  if ((bootstrapEmail === undefined) !== (bootstrapPassword === undefined)) {
    throw new ConfigError(['AUTH_BOOTSTRAP_EMAIL/AUTH_BOOTSTRAP_PASSWORD: set both or neither']);
  }
  if (parsed.AUTH_MFA_LOCK_AFTER <= parsed.AUTH_MFA_FREE_ATTEMPTS) {
    throw new ConfigError(['AUTH_MFA_LOCK_AFTER: must be larger than AUTH_MFA_FREE_ATTEMPTS']);
  }
  return {
    ...toCommonConfig(AUTH_SERVICE, parsed),
    issuer: parsed.AUTH_ISSUER,
    encryptionKeys,
    signupOpen: parsed.AUTH_SIGNUP === 'open',
    bootstrap:
      bootstrapEmail && bootstrapPassword
        ? { email: bootstrapEmail, password: bootstrapPassword, roles: parsed.AUTH_BOOTSTRAP_ROLES }
        : undefined,
    accessTokenTtlMs: parsed.AUTH_ACCESS_TOKEN_TTL,
    pendingTokenTtlMs: parsed.AUTH_PENDING_TOKEN_TTL,
    totpIssuer: parsed.AUTH_TOTP_ISSUER,
    mfaEnforced: parseEnforcement(parsed.AUTH_MFA_ENFORCED),
    mfaGracePeriodMs: parsed.AUTH_MFA_GRACE_PERIOD,
    stepUpMaxAgeMs: parsed.AUTH_STEP_UP_MAX_AGE,
    attempts: {
      free: parsed.AUTH_MFA_FREE_ATTEMPTS,
      delayBaseMs: parsed.AUTH_MFA_DELAY_BASE,
      lockAfter: parsed.AUTH_MFA_LOCK_AFTER,
      lockDurationMs: parsed.AUTH_MFA_LOCK_DURATION,
    },
    throttle: { limit: parsed.AUTH_THROTTLE_LIMIT, windowMs: parsed.AUTH_THROTTLE_WINDOW },
    smtpUrl: parsed.SMTP_URL,
    mailFrom: parsed.MAIL_FROM,
  };
}

/** DI token for the typed config object. */
export const AUTH_CONFIG = Symbol('AUTH_CONFIG');
