import { backupRecord, DataInventory, formatPeriod, hostOfUrl, StoredTable } from '@keyhaven/database';
import { JOB_ARCHIVE_SECONDS } from '@keyhaven/jobs';
import type { AuthConfig } from '../config/auth.config';
import { DEFAULT_SYNC_RUN_RETENTION_MS } from '../directory/directory.config';
import { SESSION_ENDED_AT_SQL } from '../sessions/session.store';

export const ACTIVITIES = {
  accounts: 'accounts',
  security: 'security',
  erasure: 'erasure',
  keys: 'keys',
} as const;

/** auth-service's pg-boss schema (deletion jobs, the daily retention job). */
export const AUTH_JOBS_SCHEMA = 'auth_jobs';

/**
 * Every table of schema `auth` (a test compares this list with the migrated database and the
 * entities: a new table without an entry fails it), what it holds and how long, with the periods
 * of the running configuration. The retention job deletes by these rules; the records of
 * processing are built from them.
 */
export function authDataInventory(config: AuthConfig): DataInventory {
  const p = config.privacy;
  const runRetentionMs = config.directory?.runRetentionMs ?? DEFAULT_SYNC_RUN_RETENTION_MS;
  const tables: StoredTable[] = [
    {
      table: 'auth.account',
      activity: ACTIVITIES.accounts,
      personalData: true,
      holds: [
        { category: 'contact data', fields: ['email'] },
        { category: 'credentials', fields: ['password_hash (Argon2id)'] },
        { category: 'account metadata', fields: ['roles', 'created_at', 'updated_at', 'mfa_grace_started_at', 'erasure_scheduled_at'] },
        { category: 'sign-in protection state', fields: ['mfa_failed_count', 'mfa_next_attempt_at', 'mfa_locked_until', 'mfa_last_attempt_at'] },
        { category: 'directory link (LDAP)', fields: ['directory_id', 'directory_dn', 'directory_login', 'directory_roles', 'locked_at', 'lock_reason'] },
      ],
      retention: {
        kind: 'until-erasure',
        rule: `while the account exists; erased ${formatPeriod(p.deletionGraceMs)} after the user asks (DELETE /v1/me) or at once by an admin. The second-factor attempt counter resets with the next successful sign-in, and is cleared ${formatPeriod(config.attempts.retentionMs)} after the last attempt (AUTH_MFA_ATTEMPT_RETENTION) once no delay or lock runs`,
        setting: 'AUTH_DELETION_GRACE',
        ms: p.deletionGraceMs,
      },
    },
    {
      table: 'auth.totp_factor',
      activity: ACTIVITIES.accounts,
      personalData: true,
      holds: [
        { category: 'credentials', fields: ['secret_sealed (AES-256-GCM)', 'last_step'] },
        { category: 'factor metadata', fields: ['name', 'created_at', 'confirmed_at', 'last_used_at'] },
      ],
      retention: { kind: 'with-parent', parent: 'auth.account', rule: 'until the user removes the factor, an admin resets factors, or the account is erased' },
    },
    {
      table: 'auth.webauthn_credential',
      activity: ACTIVITIES.accounts,
      personalData: true,
      holds: [
        { category: 'credentials', fields: ['credential_id', 'public_key', 'counter'] },
        { category: 'factor metadata', fields: ['name', 'aaguid', 'transports', 'device_type', 'backed_up', 'passkey', 'created_at', 'last_used_at'] },
      ],
      retention: { kind: 'with-parent', parent: 'auth.account', rule: 'until the user removes the key, an admin resets factors, or the account is erased' },
    },
    {
      table: 'auth.recovery_code',
      activity: ACTIVITIES.accounts,
      personalData: true,
      holds: [{ category: 'credentials', fields: ['code_hash (SHA-256)', 'created_at', 'used_at'] }],
      retention: { kind: 'with-parent', parent: 'auth.account', rule: 'until a new set replaces it, the last factor is removed, or the account is erased' },
    },
    {
      table: 'auth.webauthn_challenge',
      activity: ACTIVITIES.accounts,
      personalData: true,
      holds: [{ category: 'sign-in protection state', fields: ['account_id', 'challenge', 'ceremony', 'expires_at'] }],
      retention: {
        kind: 'expiry',
        rule: `until used or ${formatPeriod(config.webauthn.challengeTtlMs)} after it was issued; erased with the account`,
        setting: 'AUTH_WEBAUTHN_CHALLENGE_TTL',
        ms: config.webauthn.challengeTtlMs,
        prune: { key: 'challenge', where: 'expires_at < ?', params: (now) => [now] },
      },
    },
    {
      table: 'auth.consumed_token',
      activity: ACTIVITIES.accounts,
      personalData: true,
      holds: [{ category: 'sign-in protection state', fields: ['account_id', 'jti', 'expires_at'] }],
      retention: {
        kind: 'expiry',
        rule: `until the spent sign-in token would have expired (at most ${formatPeriod(config.pendingTokenTtlMs)}); erased with the account`,
        setting: 'AUTH_PENDING_TOKEN_TTL',
        ms: config.pendingTokenTtlMs,
        prune: { key: 'jti', where: 'expires_at < ?', params: (now) => [now] },
      },
    },
    {
      table: 'auth.directory_sync_run',
      activity: ACTIVITIES.security,
      personalData: true,
      holds: [
        {
          category: 'directory sync reports',
          fields: ['actions (account id, directory login, what was done and why)', 'requested_by', 'counts', 'abort_reason', 'started_at', 'finished_at'],
        },
      ],
      retention: {
        kind: 'period',
        rule: `${formatPeriod(runRetentionMs)} after the run started (a running run is kept); not removed by an erasure before then`,
        setting: 'LDAP_SYNC_RUN_RETENTION',
        ms: runRetentionMs,
        prune: { key: 'id', where: `status <> 'running' and started_at < ?`, params: (now) => [new Date(now.getTime() - runRetentionMs)] },
      },
    },
    {
      table: 'auth.session',
      activity: ACTIVITIES.accounts,
      personalData: true,
      holds: [
        {
          category: 'session data',
          fields: [
            'account_id',
            'aal',
            'amr',
            'auth_time',
            'created_at',
            'last_used_at',
            'expires_at',
            'refresh_hash (SHA-256 of the current refresh token)',
            'refresh_generation',
            'revoked_at',
            'revoke_reason',
          ],
        },
        { category: 'device and network', fields: ['device_label (browser and OS from the User-Agent)', 'network (IPv4 /24, IPv6 /48)'] },
      ],
      retention: {
        kind: 'period',
        rule: `${formatPeriod(config.session.retentionMs)} after the session ended (signed out, revoked, idle or past its end); erased with the account`,
        setting: 'AUTH_SESSION_RETENTION',
        ms: config.session.retentionMs,
        prune: {
          key: 'id',
          where: `${SESSION_ENDED_AT_SQL} < ?`,
          params: (now) => [config.session.idleMs, new Date(now.getTime() - config.session.retentionMs)],
        },
      },
    },
    {
      table: 'auth.refresh_token',
      activity: ACTIVITIES.accounts,
      personalData: true,
      holds: [{ category: 'session data', fields: ['token_hash (SHA-256)', 'session_id', 'created_at', 'spent_at'] }],
      retention: { kind: 'with-parent', parent: 'auth.session', rule: 'deleted with its session' },
    },
    {
      table: 'auth.remembered_device',
      activity: ACTIVITIES.accounts,
      personalData: true,
      holds: [
        { category: 'session data', fields: ['account_id', 'token_hash (SHA-256)', 'created_at', 'last_used_at', 'expires_at'] },
        { category: 'device and network', fields: ['device_label', 'network'] },
      ],
      retention: {
        kind: 'expiry',
        rule: `until the user forgets the device or ${formatPeriod(config.rememberDeviceTtlMs)} after it was remembered; erased with the account`,
        setting: 'AUTH_REMEMBER_DEVICE_TTL',
        ms: config.rememberDeviceTtlMs,
        prune: { key: 'id', where: 'expires_at < ?', params: (now) => [now] },
      },
    },
    {
      table: 'auth.security_event',
      activity: ACTIVITIES.security,
      personalData: true,
      holds: [
        {
          category: 'security events',
          fields: ['account_id (the pseudonym after an erasure)', 'actor_id', 'type', 'details (no user-chosen text)', 'occurred_at'],
        },
        { category: 'device and network', fields: ['ip_prefix (IPv4 /24, IPv6 /48)'] },
      ],
      retention: {
        kind: 'period',
        rule: `${formatPeriod(p.eventRetentionMs)} after the event; kept under the account id (a pseudonym) after an erasure, without factor names`,
        setting: 'AUTH_EVENT_RETENTION',
        ms: p.eventRetentionMs,
        prune: {
          key: 'id',
          where: 'occurred_at < ?',
          params: (now) => [new Date(now.getTime() - p.eventRetentionMs)],
          // The append-only trigger lets this transaction delete rows older than this cutoff, nothing else.
          before: {
            sql: `select set_config('keyhaven.event_retention_cutoff', ?, true)`,
            params: (now) => [new Date(now.getTime() - p.eventRetentionMs).toISOString()],
          },
        },
      },
    },
    {
      table: 'auth.account_tombstone',
      activity: ACTIVITIES.erasure,
      personalData: true,
      holds: [
        {
          category: 'erasure record',
          fields: [
            'account_id (pseudonym)',
            'erased_at',
            'requested_by',
            'requester_id',
            'reason',
            'operator (a staff account: published in the erasures feed)',
          ],
        },
      ],
      retention: {
        kind: 'period',
        rule: `${formatPeriod(p.tombstoneRetentionMs)} after the erasure`,
        setting: 'AUTH_TOMBSTONE_RETENTION',
        ms: p.tombstoneRetentionMs,
        prune: { key: 'account_id', where: 'erased_at < ?', params: (now) => [new Date(now.getTime() - p.tombstoneRetentionMs)] },
      },
    },
    {
      table: `${AUTH_JOBS_SCHEMA}.*`,
      activity: ACTIVITIES.erasure,
      personalData: true,
      holds: [{ category: 'erasure record', fields: ['job data: the account id of a scheduled deletion'] }],
      retention: {
        kind: 'managed',
        rule: `pg-boss deletes a finished job ${formatPeriod(JOB_ARCHIVE_SECONDS * 1000)} after it finished`,
        ms: JOB_ARCHIVE_SECONDS * 1000,
      },
    },
    {
      table: 'auth.signing_key',
      activity: ACTIVITIES.keys,
      personalData: false,
      holds: [],
      retention: { kind: 'while-in-use', rule: 'the token signing keys (one active, retired ones published until their tokens expired); no personal data' },
    },
    {
      table: 'auth.key_check',
      activity: ACTIVITIES.keys,
      personalData: false,
      holds: [],
      retention: { kind: 'while-in-use', rule: 'one check value per encryption key id; no personal data' },
    },
  ];
  const smtpHost = hostOfUrl(config.smtpUrl);
  return {
    service: 'auth-service',
    url: `${config.issuer.replace(/\/$/, '')}/v1/privacy/records`,
    activities: [
      {
        id: ACTIVITIES.accounts,
        name: 'Accounts, second factors and sign-in',
        purpose:
          'Let users sign in to the product with a password and second factors, keep their sessions, and tell them about security-relevant changes by mail.',
        legalBasis: [{ article: 'Art. 6(1)(b)', why: 'needed to provide the account the user signed up for' }],
        dataSubjects: ['users of the product', 'administrators'],
        recipients: smtpHost ? ['SMTP relay (security mail)'] : [],
      },
      {
        id: ACTIVITIES.security,
        name: 'Security audit trail',
        purpose: 'Detect and investigate attacks on accounts (guessing, cloned keys, stolen sessions) and show users and admins who changed what.',
        legalBasis: [
          { article: 'Art. 6(1)(f)', why: 'the legitimate interest of users and operator in secure accounts' },
          { article: 'Art. 6(1)(c)', why: 'security of processing (Art. 32) and accountability (Art. 5(2))' },
        ],
        dataSubjects: ['users of the product', 'administrators'],
        recipients: [],
      },
      {
        id: ACTIVITIES.erasure,
        name: 'Proof of erasure',
        purpose: 'Show that an erasure happened (who asked, when, why) and apply it again after a restore from backup.',
        legalBasis: [{ article: 'Art. 6(1)(c)', why: 'accountability for erasure requests (Art. 5(2), Art. 17)' }],
        dataSubjects: ['former users'],
        recipients: [],
      },
      {
        id: ACTIVITIES.keys,
        name: 'Token signing and key custody',
        purpose: 'Sign access tokens and check the keys for secrets at rest.',
        legalBasis: [{ article: 'Art. 6(1)(f)', why: 'operating the service securely' }],
        dataSubjects: [],
        recipients: [],
      },
    ],
    tables,
    recipients: [
      smtpHost
        ? { name: 'SMTP relay', host: smtpHost, purpose: 'delivers security mail (factor changes, locks, deletion notices) to the user’s address' }
        : { name: 'SMTP relay', host: null, purpose: 'none configured: mail is written to the service log' },
    ],
    transfers: [],
    backups: backupRecord(
      config.backups,
      'After a restore, keyhaven-ops applies every erasure again from its erasure ledger (account ids and erasure times, kept outside the database), before the service sees the restored data.',
    ),
  };
}
