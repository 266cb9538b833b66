import { join } from 'node:path';
import { z } from 'zod';
import { CommonConfig, commonEnvShape, ConfigError, env, parseEnv, toCommonConfig } from '@keyhaven/config';
import { KeyRingEntry, parseKeyRing } from '../crypto/key-ring';
import { DirectoryConfig, directoryEnvShape, parseDirectoryConfig } from '../directory/directory.config';

export const AUTH_SERVICE = 'auth-service';

const USER_VERIFICATION = ['required', 'preferred', 'discouraged'] as const;
export type UserVerificationPolicy = (typeof USER_VERIFICATION)[number];

export const authEnvSchema = z.object({
  ...commonEnvShape(3000),
  AUTH_ISSUER: env.url(['http:', 'https:'], 'http://localhost:3000'),
  /** `kid1:base64key,kid2:base64key` — 32-byte AES keys, the first one encrypts, all decrypt. */
  AUTH_ENCRYPTION_KEYS: env.optionalString(),
  AUTH_SIGNUP: env.oneOf(['open', 'closed'] as const, 'open'),
  AUTH_BOOTSTRAP_EMAIL: env.optionalString(),
  AUTH_BOOTSTRAP_PASSWORD: env.optionalString(),
  AUTH_BOOTSTRAP_ROLES: env.list(['admin', 'ops']),
  AUTH_ACCESS_TOKEN_TTL: env.duration('15m'),
  AUTH_PENDING_TOKEN_TTL: env.duration('5m'),
  AUTH_SESSION_IDLE: env.duration('14d'),
  AUTH_SESSION_MAX: env.duration('30d'),
  AUTH_SESSION_RETENTION: env.duration('30d'),
  AUTH_REMEMBER_DEVICE_TTL: env.duration('30d'),
  AUTH_EVENT_RETENTION: env.duration('365d'),
  AUTH_TOMBSTONE_RETENTION: env.duration('3y'),
  AUTH_DELETION_GRACE: env.duration('7d'),
  AUTH_TOTP_ISSUER: env.string('Keyhaven'),
  AUTH_MFA_ENFORCED: env.string('off'),
  AUTH_MFA_GRACE_PERIOD: env.duration('7d'),
  AUTH_STEP_UP_MAX_AGE: env.duration('10m'),
  AUTH_MFA_FREE_ATTEMPTS: env.int(3, { min: 1, max: 20 }),
  AUTH_MFA_DELAY_BASE: env.duration('30s'),
  AUTH_MFA_LOCK_AFTER: env.int(10, { min: 2, max: 50 }),
  AUTH_MFA_LOCK_DURATION: env.duration('1h'),
  AUTH_MFA_ATTEMPT_RETENTION: env.duration('24h'),
  AUTH_THROTTLE_LIMIT: env.int(30, { min: 1, max: 1_000_000 }),
  AUTH_THROTTLE_WINDOW: env.duration('1m'),
  AUTH_WEBAUTHN_RP_ID: env.string('localhost'),
  AUTH_WEBAUTHN_ORIGINS: env.list(['http://localhost:3000']),
  AUTH_WEBAUTHN_RP_NAME: env.string('Keyhaven'),
  AUTH_WEBAUTHN_USER_VERIFICATION: env.oneOf(USER_VERIFICATION, 'preferred'),
  AUTH_WEBAUTHN_ATTESTATION: env.oneOf(['none', 'direct'] as const, 'none'),
  AUTH_WEBAUTHN_AAGUIDS: env.list([]),
  AUTH_WEBAUTHN_ATTACHMENT: env.oneOf(['any', 'platform', 'cross-platform'] as const, 'any'),
  AUTH_WEBAUTHN_RESIDENT_KEY: env.oneOf(['discouraged', 'preferred', 'required'] as const, 'discouraged'),
  AUTH_WEBAUTHN_CHALLENGE_TTL: env.duration('5m'),
  SMTP_URL: env.optionalUrl(['smtp:', 'smtps:']),
  MAIL_FROM: env.string('Keyhaven <no-reply@keyhaven.local>'),
  /** The built account page; by default the `account-web` folder beside this bundle (dist/apps/account-web). */
  AUTH_ACCOUNT_WEB_DIR: env.string(join(__dirname, '..', 'account-web')),
  ...directoryEnvShape,
});

/** Who must have a second factor: nobody, everybody, or accounts holding one of these roles. */
export type MfaEnforcement = { mode: 'off' } | { mode: 'all' } | { mode: 'roles'; roles: string[] };

export interface AuthConfig extends CommonConfig {
  issuer: string;
  /** Folder of the built account page served at `/`. */
  accountWebDir: string;
  /** Undefined only in embedded mode: then a key is generated into DATA_DIR (see key-ring.provider). */
  encryptionKeys: KeyRingEntry[] | undefined;
  signupOpen: boolean;
  bootstrap: { email: string; password: string; roles: string[] } | undefined;
  accessTokenTtlMs: number;
  pendingTokenTtlMs: number;
  /** Sessions (see docs/auth-service.md#sessions): end after `idleMs` without a refresh and `maxMs` after sign-in. */
  session: { idleMs: number; maxMs: number; retentionMs: number };
  /** GDPR (docs/auth-service.md#your-data--gdpr): how long events and erasure tombstones are kept; the grace before a self-service deletion. */
  privacy: { eventRetentionMs: number; tombstoneRetentionMs: number; deletionGraceMs: number };
  /** "Remember this device": how long a device token skips the second step; 0 = the feature is off. */
  rememberDeviceTtlMs: number;
  totpIssuer: string;
  mfaEnforced: MfaEnforcement;
  mfaGracePeriodMs: number;
  stepUpMaxAgeMs: number;
  /** `retentionMs`: a failure counter nobody touched this long (and whose delay or lock is over) is cleared by the retention job. */
  attempts: { free: number; delayBaseMs: number; lockAfter: number; lockDurationMs: number; retentionMs: number };
  throttle: { limit: number; windowMs: number };
  webauthn: WebAuthnPolicy;
  smtpUrl: string | undefined;
  mailFrom: string;
  /** LDAP / Active Directory sign-in and sync; undefined without LDAP_URL. */
  directory: DirectoryConfig | undefined;
}

/** The relying party and its policy for security keys and passkeys (W3C WebAuthn Level 3). */
export interface WebAuthnPolicy {
  rpId: string;
  rpName: string;
  /** Exact origins (scheme://host[:port]) the browser may report in clientDataJSON. */
  origins: string[];
  /** For security keys as a second factor; passkeys always require user verification. */
  userVerification: UserVerificationPolicy;
  attestation: 'none' | 'direct';
  /** With `direct` attestation: the authenticator models (AAGUIDs, lower case) that may register. */
  allowedAaguids: string[];
  attachment: 'platform' | 'cross-platform' | undefined;
  /** For security keys; passkeys always require a resident (discoverable) key. */
  residentKey: 'discouraged' | 'preferred' | 'required';
  challengeTtlMs: number;
}

const AAGUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function parseWebAuthn(parsed: z.output<typeof authEnvSchema>): WebAuthnPolicy {
  const problems: string[] = [];
  const rpId = parsed.AUTH_WEBAUTHN_RP_ID.toLowerCase();
  // The RP ID is a registrable domain (or localhost), never a URL or an IP address: browsers refuse those.
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(rpId) || /^[0-9.]+$/.test(rpId)) {
    problems.push(
      `AUTH_WEBAUTHN_RP_ID: expected a domain name such as example.com or localhost (no scheme, port or IP address), got ${JSON.stringify(parsed.AUTH_WEBAUTHN_RP_ID)}`,
    );
  }
  const origins: string[] = [];
  for (const raw of parsed.AUTH_WEBAUTHN_ORIGINS) {
    let url: URL | undefined;
    try {
      url = new URL(raw);
    } catch {
      url = undefined;
    }
    if (!url || !['http:', 'https:'].includes(url.protocol) || url.origin !== raw.replace(/\/$/, '')) {
      problems.push(
        `AUTH_WEBAUTHN_ORIGINS: expected origins such as https://auth.example.com (scheme, host, optional port; no path), got ${JSON.stringify(raw)}`,
      );
      continue;
    }
    // WebAuthn section 5.1.3/7.1: the RP ID must equal the origin's host or be a suffix of it.
    if (url.hostname !== rpId && !url.hostname.endsWith(`.${rpId}`)) {
      problems.push(`AUTH_WEBAUTHN_ORIGINS: ${raw} is not on the RP ID ${rpId} (the host must be ${rpId} or a subdomain of it)`);
    }
    origins.push(url.origin);
  }
  if (origins.length === 0 && problems.length === 0) problems.push('AUTH_WEBAUTHN_ORIGINS: expected at least one origin');
  const allowedAaguids = parsed.AUTH_WEBAUTHN_AAGUIDS.map((a) => a.toLowerCase());
  const badAaguid = allowedAaguids.find((a) => !AAGUID.test(a));
  if (badAaguid) problems.push(`AUTH_WEBAUTHN_AAGUIDS: expected AAGUIDs such as cb69481e-8ff7-4039-93ec-0a2729a154a8, got ${JSON.stringify(badAaguid)}`);
  if (parsed.AUTH_WEBAUTHN_ATTESTATION === 'direct' && allowedAaguids.length === 0) {
    problems.push('AUTH_WEBAUTHN_AAGUIDS: is required with AUTH_WEBAUTHN_ATTESTATION=direct (the authenticator models that may register)');
  }
  if (parsed.AUTH_WEBAUTHN_ATTESTATION === 'none' && allowedAaguids.length > 0) {
    problems.push('AUTH_WEBAUTHN_AAGUIDS: needs AUTH_WEBAUTHN_ATTESTATION=direct (without attestation an AAGUID is only a claim)');
  }
  if (problems.length) throw new ConfigError(problems);
  return {
    rpId,
    rpName: parsed.AUTH_WEBAUTHN_RP_NAME,
    origins,
    userVerification: parsed.AUTH_WEBAUTHN_USER_VERIFICATION,
    attestation: parsed.AUTH_WEBAUTHN_ATTESTATION,
    allowedAaguids,
    attachment: parsed.AUTH_WEBAUTHN_ATTACHMENT === 'any' ? undefined : parsed.AUTH_WEBAUTHN_ATTACHMENT,
    residentKey: parsed.AUTH_WEBAUTHN_RESIDENT_KEY,
    challengeTtlMs: parsed.AUTH_WEBAUTHN_CHALLENGE_TTL,
  };
}

function parseEnforcement(raw: string): MfaEnforcement {
  const text = raw.trim().toLowerCase();
  if (text === 'off' || text === 'false' || text === 'none') return { mode: 'off' };
  if (text === 'all' || text === 'true') return { mode: 'all' };
  const roles = text
    .split(',')
    .map((r) => r.trim())
    .filter((r) => /^[a-z][a-z0-9_-]*$/.test(r));
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
  const sessionProblems: string[] = [];
  if (parsed.AUTH_SESSION_IDLE < parsed.AUTH_ACCESS_TOKEN_TTL)
    sessionProblems.push('AUTH_SESSION_IDLE: must be at least AUTH_ACCESS_TOKEN_TTL (a session must outlive one access token)');
  if (parsed.AUTH_SESSION_MAX < parsed.AUTH_SESSION_IDLE) sessionProblems.push('AUTH_SESSION_MAX: must be at least AUTH_SESSION_IDLE');
  if (parsed.AUTH_SESSION_RETENTION < 86_400_000) sessionProblems.push('AUTH_SESSION_RETENTION: must be at least 1d (ended sessions are pruned once a day)');
  if (parsed.AUTH_EVENT_RETENTION < 86_400_000) sessionProblems.push('AUTH_EVENT_RETENTION: must be at least 1d (the retention job runs once a day)');
  if (parsed.AUTH_TOMBSTONE_RETENTION < 86_400_000) sessionProblems.push('AUTH_TOMBSTONE_RETENTION: must be at least 1d (the retention job runs once a day)');
  if (parsed.AUTH_DELETION_GRACE < 60_000) sessionProblems.push('AUTH_DELETION_GRACE: must be at least 1m (the user needs time to cancel)');
  if (sessionProblems.length) throw new ConfigError(sessionProblems);
  if (parsed.AUTH_MFA_LOCK_AFTER <= parsed.AUTH_MFA_FREE_ATTEMPTS) {
    throw new ConfigError(['AUTH_MFA_LOCK_AFTER: must be larger than AUTH_MFA_FREE_ATTEMPTS']);
  }
  // A counter that outlived its lock keeps re-locking at the next failure: it must not be forgotten sooner.
  if (parsed.AUTH_MFA_ATTEMPT_RETENTION < Math.max(parsed.AUTH_MFA_LOCK_DURATION, 3_600_000)) {
    throw new ConfigError(['AUTH_MFA_ATTEMPT_RETENTION: must be at least AUTH_MFA_LOCK_DURATION and at least 1h']);
  }
  return {
    ...toCommonConfig(AUTH_SERVICE, parsed),
    issuer: parsed.AUTH_ISSUER,
    accountWebDir: parsed.AUTH_ACCOUNT_WEB_DIR,
    encryptionKeys,
    signupOpen: parsed.AUTH_SIGNUP === 'open',
    bootstrap: bootstrapEmail && bootstrapPassword ? { email: bootstrapEmail, password: bootstrapPassword, roles: parsed.AUTH_BOOTSTRAP_ROLES } : undefined,
    accessTokenTtlMs: parsed.AUTH_ACCESS_TOKEN_TTL,
    pendingTokenTtlMs: parsed.AUTH_PENDING_TOKEN_TTL,
    session: { idleMs: parsed.AUTH_SESSION_IDLE, maxMs: parsed.AUTH_SESSION_MAX, retentionMs: parsed.AUTH_SESSION_RETENTION },
    privacy: {
      eventRetentionMs: parsed.AUTH_EVENT_RETENTION,
      tombstoneRetentionMs: parsed.AUTH_TOMBSTONE_RETENTION,
      deletionGraceMs: parsed.AUTH_DELETION_GRACE,
    },
    rememberDeviceTtlMs: parsed.AUTH_REMEMBER_DEVICE_TTL,
    totpIssuer: parsed.AUTH_TOTP_ISSUER,
    mfaEnforced: parseEnforcement(parsed.AUTH_MFA_ENFORCED),
    mfaGracePeriodMs: parsed.AUTH_MFA_GRACE_PERIOD,
    stepUpMaxAgeMs: parsed.AUTH_STEP_UP_MAX_AGE,
    attempts: {
      free: parsed.AUTH_MFA_FREE_ATTEMPTS,
      delayBaseMs: parsed.AUTH_MFA_DELAY_BASE,
      lockAfter: parsed.AUTH_MFA_LOCK_AFTER,
      lockDurationMs: parsed.AUTH_MFA_LOCK_DURATION,
      retentionMs: parsed.AUTH_MFA_ATTEMPT_RETENTION,
    },
    throttle: { limit: parsed.AUTH_THROTTLE_LIMIT, windowMs: parsed.AUTH_THROTTLE_WINDOW },
    webauthn: parseWebAuthn(parsed),
    smtpUrl: parsed.SMTP_URL,
    mailFrom: parsed.MAIL_FROM,
    directory: parseDirectoryConfig(parsed),
  };
}

/** DI token for the typed config object. */
export const AUTH_CONFIG = Symbol('AUTH_CONFIG');
