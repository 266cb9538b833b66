import { z } from 'zod';
import { CommonConfig, commonEnvShape, durationAsWritten, env, parseEnv, toCommonConfig } from '@keyhaven/config';
import { parseWebhookAllowlist, WebhookAllowlist } from '@keyhaven/release-maintenance';
import { OsvPackage, parseOsvPackage } from '../advisories/osv';

export const RELEASE_SERVICE = 'release-api';

const CHANNEL = /^[a-z][a-z0-9-]{0,31}$/;

export const releaseEnvSchema = z
  .object({
    ...commonEnvShape(3001),
    AUTH_JWKS_URL: env.url(['http:', 'https:'], 'http://localhost:3000/.well-known/jwks.json'),
    AUTH_ISSUER: env.url(['http:', 'https:'], 'http://localhost:3000'),
    AUTH_MAX_TOKEN_LIFETIME: env.duration('15m'),
    AUTH_REVOCATION_MAX_DELAY: env.duration('30s'),
    AUTH_REVOCATION_LIST_URL: env.optionalUrl(['http:', 'https:']),
    MAINTENANCE_NOTICE_LEAD: env.duration('72h'),
    MAINTENANCE_REMINDERS: env.durationList('24h,1h'),
    MAINTENANCE_DELIVERY_RETRIES: env.int(8, { min: 0, max: 100 }),
    MAINTENANCE_DELIVERY_RETRY_DELAY: env.duration('30s'),
    MAINTENANCE_WEBHOOK_TIMEOUT: env.duration('10s'),
    MAINTENANCE_WEBHOOK_ALLOWLIST: env.list([]),
    MAINTENANCE_DELIVERY_WORKERS: env.int(8, { min: 1, max: 64 }),
    MAINTENANCE_DELIVERY_BATCH: env.int(25, { min: 1, max: 500 }),
    MAINTENANCE_FEED_HISTORY: env.duration('30d'),
    MAINTENANCE_RETENTION: env.duration('90d'),
    JOBS_POLL_INTERVAL: env.duration('2s'),
    JOBS_MAINTENANCE_INTERVAL: env.duration('30s'),
    JOBS_POOL_MAX: env.int(0, { min: 0, max: 100 }),
    RELEASE_PUBLIC_URL: env.url(['http:', 'https:'], 'http://localhost:3001'),
    SMTP_URL: env.optionalUrl(['smtp:', 'smtps:']),
    MAIL_FROM: env.string('Keyhaven <no-reply@keyhaven.local>'),
    RELEASE_DEMO_DATA: env.optionalBool(),
    RELEASE_DEMO_SYNTHETIC: env.int(0, { min: 0, max: 100_000 }),
    RELEASE_CHANNELS: env.list(['lts', 'stable', 'beta']),
    RELEASE_EDITIONS: env.list(['community', 'enterprise']),
    RELEASE_OSV_PACKAGE: env.optionalString(),
    RELEASE_SIGNING_KEYS: env.list([]),
    RELEASE_KEY_ENCRYPTION_KEY: env.optionalString(),
    RELEASE_CHECK_MAX_AGE: env.duration('1h'),
    RELEASE_CHECK_REISSUE: env.duration('24h'),
    RELEASE_CHECK_VALIDITY: env.duration('7d'),
    RELEASE_CHECK_CACHE_SIZE: env.int(10_000, { min: 1, max: 10_000_000 }),
    RELEASE_SEQUENCE_POLL: env.duration('2s'),
    RELEASE_STATS_RETENTION: env.duration('400d'),
    RELEASE_STATS_FLUSH: env.duration('10s'),
    RELEASE_AUDIT_RETENTION: env.duration('2y'),
    /** auth-service's erasure feed; unset: beside AUTH_JWKS_URL (`/v1/privacy/erasures` on its origin). */
    RELEASE_ERASURES_URL: env.optionalUrl(['http:', 'https:']),
    RELEASE_ERASURES_SYNC: env.duration('10m'),
  })
  .superRefine((value, ctx) => {
    for (const [name, list] of [
      ['RELEASE_CHANNELS', value.RELEASE_CHANNELS],
      ['RELEASE_EDITIONS', value.RELEASE_EDITIONS],
    ] as const) {
      if (list.length === 0 || list.some((item) => !CHANNEL.test(item))) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'expected a comma-separated list of lower-case names such as lts,stable,beta' });
      }
    }
    for (const entry of value.RELEASE_SIGNING_KEYS) {
      if (!parseSigningKeyEntry(entry)) {
        ctx.addIssue({
          code: 'custom',
          path: ['RELEASE_SIGNING_KEYS'],
          message: 'expected kid:seed entries, seed = 32 bytes base64url (an Ed25519 private key)',
        });
      }
    }
    if (value.RELEASE_KEY_ENCRYPTION_KEY !== undefined && Buffer.from(value.RELEASE_KEY_ENCRYPTION_KEY, 'base64url').length !== 32) {
      ctx.addIssue({ code: 'custom', path: ['RELEASE_KEY_ENCRYPTION_KEY'], message: 'expected 32 bytes, base64url' });
    }
    // The list is polled every third of the bound, and auth-service lets caches keep it 5 s.
    if (value.AUTH_REVOCATION_MAX_DELAY < 12_000 || value.AUTH_REVOCATION_MAX_DELAY > 3_600_000) {
      ctx.addIssue({ code: 'custom', path: ['AUTH_REVOCATION_MAX_DELAY'], message: 'expected a duration from 12s to 1h' });
    }
    // A shared database outlives any one process or disk: a key generated beside DATA_DIR would
    // be a different one on the next container, and every sealed webhook secret would be lost.
    if (value.DATABASE_URL !== undefined && value.RELEASE_KEY_ENCRYPTION_KEY === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['RELEASE_KEY_ENCRYPTION_KEY'],
        message:
          "is required when DATABASE_URL is set (it seals webhook secrets and generated signing keys; every replica and restart needs the same one): expected 32 bytes base64url, e.g. $(openssl rand -base64 32 | tr '+/' '-_' | tr -d '=')",
      });
    }
    if (value.RELEASE_OSV_PACKAGE !== undefined && !parseOsvPackage(value.RELEASE_OSV_PACKAGE)) {
      ctx.addIssue({
        code: 'custom',
        path: ['RELEASE_OSV_PACKAGE'],
        message: `expected <ecosystem>/<name> with an ecosystem registered with OSV, e.g. npm/keyhaven or Maven/com.example:keyhaven, got ${JSON.stringify(value.RELEASE_OSV_PACKAGE)}`,
      });
    }
    const { invalid } = parseWebhookAllowlist(value.MAINTENANCE_WEBHOOK_ALLOWLIST);
    if (invalid.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['MAINTENANCE_WEBHOOK_ALLOWLIST'],
        message: `expected host names, addresses and CIDR ranges such as 127.0.0.1,10.20.0.0/16,hooks.corp.internal; cannot read ${invalid.map((entry) => JSON.stringify(entry)).join(', ')}`,
      });
    }
    if (value.JOBS_POLL_INTERVAL < 500) {
      ctx.addIssue({ code: 'custom', path: ['JOBS_POLL_INTERVAL'], message: 'must be at least 0.5s (idle job workers poll no faster)' });
    }
    if (value.JOBS_MAINTENANCE_INTERVAL < 1000) {
      ctx.addIssue({ code: 'custom', path: ['JOBS_MAINTENANCE_INTERVAL'], message: 'must be at least 1s' });
    }
    if (value.RELEASE_AUDIT_RETENTION < 86_400_000) {
      ctx.addIssue({ code: 'custom', path: ['RELEASE_AUDIT_RETENTION'], message: 'must be at least 1d (the retention job runs once a day)' });
    }
    if (value.RELEASE_ERASURES_SYNC < 1_000) {
      ctx.addIssue({ code: 'custom', path: ['RELEASE_ERASURES_SYNC'], message: 'must be at least 1s' });
    }
    if (value.MAINTENANCE_RETENTION < 86_400_000) {
      ctx.addIssue({ code: 'custom', path: ['MAINTENANCE_RETENTION'], message: "must be at least 1d (ops read yesterday's deliveries)" });
    }
    if (value.MAINTENANCE_DELIVERY_RETRY_DELAY < 1000 && value.MAINTENANCE_DELIVERY_RETRY_DELAY !== 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['MAINTENANCE_DELIVERY_RETRY_DELAY'],
        message: 'must be 0 or at least 1s (retries are scheduled in whole seconds)',
      });
    }
    if (value.RELEASE_CHECK_VALIDITY <= value.RELEASE_CHECK_REISSUE) {
      ctx.addIssue({
        code: 'custom',
        path: ['RELEASE_CHECK_VALIDITY'],
        message: 'must be longer than RELEASE_CHECK_REISSUE, or cached answers would expire while served',
      });
    }
  });

export interface ConfiguredSigningKey {
  /** Undefined: the RFC 7638 thumbprint is used. */
  kid: string | undefined;
  seed: Buffer;
}

/** `kid:seed` or `seed`; the seed is the 32-byte Ed25519 private key, base64url. */
export function parseSigningKeyEntry(entry: string): ConfiguredSigningKey | undefined {
  const colon = entry.lastIndexOf(':');
  const kid = colon > 0 ? entry.slice(0, colon) : undefined;
  const seedText = colon > 0 ? entry.slice(colon + 1) : entry;
  if (!/^[A-Za-z0-9_-]+$/.test(seedText)) return undefined;
  const seed = Buffer.from(seedText, 'base64url');
  if (seed.length !== 32) return undefined;
  if (kid !== undefined && !/^[A-Za-z0-9._-]{1,64}$/.test(kid)) return undefined;
  return { kid, seed };
}

export interface ReleaseConfig extends CommonConfig {
  /** maxTokenLifetimeMs: the longest `exp − iat` an ops token may claim (AUTH_MAX_TOKEN_LIFETIME). */
  auth: {
    jwksUrl: string;
    issuer: string;
    maxTokenLifetimeMs: number;
    /** Revoked sessions are refused within maxDelayMs (AUTH_REVOCATION_MAX_DELAY); the list's URL defaults to beside the JWKS. */
    revocation: { maxDelayMs: number; url: string | undefined };
  };
  maintenance: {
    noticeLeadMs: number;
    /** The lead as configured (`72h`, `20s`), for messages. */
    noticeLead: string;
    remindersMs: number[];
    deliveryRetries: number;
    deliveryRetryDelayMs: number;
    webhookTimeoutMs: number;
    /** Private hosts and ranges webhooks may go to; everything else must be public unicast. */
    webhookAllowlist: WebhookAllowlist;
    feedHistoryMs: number;
    /** Delivery worker loops per process, each sending `deliveryBatch` deliveries at a time. */
    deliveryWorkers: number;
    deliveryBatch: number;
    /** Settled deliveries older than this are deleted, then removed subscriptions they referred to. */
    retentionMs: number;
  };
  /** pollIntervalMs: idle workers look for due jobs; maintenanceIntervalMs: jobs of dead workers are failed and retried. */
  jobs: { pollIntervalMs: number; maintenanceIntervalMs: number; poolMax: number };
  /** Public base URL of release-api: links in emails and feeds, iCalendar UIDs. */
  publicUrl: string;
  mail: { smtpUrl: string | undefined; from: string };
  /** Load the demo catalog into an empty database on boot. */
  demoData: boolean;
  /** Extra synthetic old releases and advisories in the demo catalog (benchmarks: 10 vs 10,000). */
  demoSynthetic: number;
  /** Most conservative first: a follower of a channel also gets those before it. */
  channels: string[];
  /** The first is the default edition of a check. */
  editions: string[];
  /** The product's package in OSV (`affected[].package`): exported, and the only one imported. Unset: exports name none. */
  osvPackage: OsvPackage | undefined;
  signing: { keys: ConfiguredSigningKey[]; encryptionKey: Buffer | undefined };
  check: { maxAgeMs: number; reissueMs: number; validityMs: number; cacheSize: number; sequencePollMs: number };
  stats: { retentionMs: number; flushMs: number };
  /** GDPR: audit rows kept this long; where erased auth-service accounts are learnt and how often. */
  privacy: { auditRetentionMs: number; erasuresUrl: string; erasuresSyncMs: number };
}

/** The one place release-api reads its environment. */
export function loadReleaseConfig(source: Record<string, string | undefined>): ReleaseConfig {
  const parsed = parseEnv(releaseEnvSchema, source);
  return {
    ...toCommonConfig(RELEASE_SERVICE, parsed),
    auth: {
      jwksUrl: parsed.AUTH_JWKS_URL,
      issuer: parsed.AUTH_ISSUER,
      maxTokenLifetimeMs: parsed.AUTH_MAX_TOKEN_LIFETIME,
      revocation: { maxDelayMs: parsed.AUTH_REVOCATION_MAX_DELAY, url: parsed.AUTH_REVOCATION_LIST_URL },
    },
    maintenance: {
      noticeLeadMs: parsed.MAINTENANCE_NOTICE_LEAD,
      noticeLead: durationAsWritten(source['MAINTENANCE_NOTICE_LEAD']?.trim() || '72h'),
      remindersMs: parsed.MAINTENANCE_REMINDERS,
      deliveryRetries: parsed.MAINTENANCE_DELIVERY_RETRIES,
      deliveryRetryDelayMs: parsed.MAINTENANCE_DELIVERY_RETRY_DELAY,
      webhookTimeoutMs: parsed.MAINTENANCE_WEBHOOK_TIMEOUT,
      webhookAllowlist: parseWebhookAllowlist(parsed.MAINTENANCE_WEBHOOK_ALLOWLIST).allowlist,
      deliveryWorkers: parsed.MAINTENANCE_DELIVERY_WORKERS,
      deliveryBatch: parsed.MAINTENANCE_DELIVERY_BATCH,
      feedHistoryMs: parsed.MAINTENANCE_FEED_HISTORY,
      retentionMs: parsed.MAINTENANCE_RETENTION,
    },
    jobs: {
      pollIntervalMs: parsed.JOBS_POLL_INTERVAL,
      maintenanceIntervalMs: parsed.JOBS_MAINTENANCE_INTERVAL,
      // 0 = automatic: five, with DATABASE_URL and on the embedded server alike.
      poolMax: parsed.JOBS_POOL_MAX || 5,
    },
    publicUrl: parsed.RELEASE_PUBLIC_URL.replace(/\/+$/, ''),
    mail: { smtpUrl: parsed.SMTP_URL, from: parsed.MAIL_FROM },
    // Embedded mode is for trying things out: show a full catalog. A real database starts empty.
    demoData: parsed.RELEASE_DEMO_DATA ?? parsed.DATABASE_URL === undefined,
    demoSynthetic: parsed.RELEASE_DEMO_SYNTHETIC,
    channels: parsed.RELEASE_CHANNELS,
    editions: parsed.RELEASE_EDITIONS,
    osvPackage: parsed.RELEASE_OSV_PACKAGE === undefined ? undefined : parseOsvPackage(parsed.RELEASE_OSV_PACKAGE),
    signing: {
      keys: parsed.RELEASE_SIGNING_KEYS.map((entry) => parseSigningKeyEntry(entry) as ConfiguredSigningKey),
      encryptionKey: parsed.RELEASE_KEY_ENCRYPTION_KEY ? Buffer.from(parsed.RELEASE_KEY_ENCRYPTION_KEY, 'base64url') : undefined,
    },
    check: {
      maxAgeMs: parsed.RELEASE_CHECK_MAX_AGE,
      reissueMs: parsed.RELEASE_CHECK_REISSUE,
      validityMs: parsed.RELEASE_CHECK_VALIDITY,
      cacheSize: parsed.RELEASE_CHECK_CACHE_SIZE,
      sequencePollMs: parsed.RELEASE_SEQUENCE_POLL,
    },
    stats: { retentionMs: parsed.RELEASE_STATS_RETENTION, flushMs: parsed.RELEASE_STATS_FLUSH },
    privacy: {
      auditRetentionMs: parsed.RELEASE_AUDIT_RETENTION,
      erasuresUrl: parsed.RELEASE_ERASURES_URL ?? new URL('/v1/privacy/erasures', parsed.AUTH_JWKS_URL).toString(),
      erasuresSyncMs: parsed.RELEASE_ERASURES_SYNC,
    },
  };
}

export const RELEASE_CONFIG = Symbol('RELEASE_CONFIG');
