import { backupRecord, DataInventory, formatPeriod, hostOfUrl, StoredTable } from '@keyhaven/database';
import { JOB_ARCHIVE_SECONDS } from '@keyhaven/jobs';
import type { ReleaseConfig } from '../config/release.config';

/** release-api's pg-boss schema (notices, deliveries, the daily retention job). */
export const RELEASE_JOBS_SCHEMA = 'release_jobs';

/**
 * Every table of schema `release` (a test compares this list with the migrated database and the
 * entities), what it holds and how long, with the periods of the running configuration: the
 * retention job deletes by these rules and the records of processing are built from them.
 */
export function releaseDataInventory(config: ReleaseConfig): DataInventory {
  const m = config.maintenance;
  const auditMs = config.privacy.auditRetentionMs;
  const tables: StoredTable[] = [
    {
      table: 'release.audit_event',
      activity: 'catalog',
      personalData: true,
      holds: [{ category: 'ops identity', fields: ['actor_sub', 'actor_email (a pseudonym once the ops account is erased in auth-service)', 'at'] }],
      retention: {
        kind: 'period',
        rule: `${formatPeriod(auditMs)} after the change`,
        setting: 'RELEASE_AUDIT_RETENTION',
        ms: auditMs,
        prune: { key: 'id', where: 'at < ?', params: (now) => [new Date(now.getTime() - auditMs)] },
      },
    },
    // Deliveries before subscriptions: a removed subscription goes once no delivery refers to it.
    {
      table: 'release.notice_delivery',
      activity: 'notices',
      personalData: true,
      holds: [
        {
          category: 'delivery history',
          fields: ['subscription_id', 'notice_id', 'state', 'attempts', 'last_error', 'last_attempt_at', 'delivered_at', 'created_at'],
        },
      ],
      retention: {
        kind: 'period',
        rule: `${formatPeriod(m.retentionMs)} after it was settled; at once when the subscriber unsubscribes or is erased`,
        setting: 'MAINTENANCE_RETENTION',
        ms: m.retentionMs,
        prune: { key: 'id', where: `state <> 'pending' and created_at < ?`, params: (now) => [new Date(now.getTime() - m.retentionMs)] },
      },
    },
    {
      table: 'release.maintenance_subscription',
      activity: 'notices',
      personalData: true,
      holds: [
        { category: 'contact data', fields: ['address', 'time_zone'] },
        { category: 'webhook endpoint', fields: ['url', 'secret_sealed (AES-256-GCM)'] },
        { category: 'subscription', fields: ['environments', 'created_at', 'removed_at'] },
      ],
      retention: {
        kind: 'period',
        rule: `until unsubscribed (by the mail's link: erased at once with its deliveries) or removed by ops; a removed subscription goes ${formatPeriod(m.retentionMs)} later with its last delivery`,
        setting: 'MAINTENANCE_RETENTION',
        ms: m.retentionMs,
        prune: {
          key: 'id',
          where: 'removed_at < ? and not exists (select 1 from release.notice_delivery d where d.subscription_id = release.maintenance_subscription.id)',
          params: (now) => [new Date(now.getTime() - m.retentionMs)],
        },
      },
    },
    {
      table: `${RELEASE_JOBS_SCHEMA}.*`,
      activity: 'notices',
      personalData: true,
      holds: [{ category: 'delivery history', fields: ['job data: notice and delivery ids'] }],
      retention: {
        kind: 'managed',
        rule: `pg-boss deletes a finished job ${formatPeriod(JOB_ARCHIVE_SECONDS * 1000)} after it finished`,
        ms: JOB_ARCHIVE_SECONDS * 1000,
      },
    },
    {
      table: 'release.check_count',
      activity: 'statistics',
      personalData: false,
      holds: [],
      retention: {
        kind: 'period',
        rule: `daily counts per version, channel and edition (no address, no instance id), ${formatPeriod(config.stats.retentionMs)}`,
        setting: 'RELEASE_STATS_RETENTION',
        ms: config.stats.retentionMs,
        prune: { key: 'day', where: 'day < ?::date', params: (now) => [new Date(now.getTime() - config.stats.retentionMs).toISOString().slice(0, 10)] },
      },
    },
    ...(['release.release', 'release.advisory', 'release.catalog_sequence', 'release.maintenance_window', 'release.maintenance_notice'] as const).map(
      (table): StoredTable => ({
        table,
        activity: 'catalog',
        personalData: false,
        holds: [],
        retention: { kind: 'while-in-use', rule: 'the public catalog and maintenance calendar; no personal data' },
      }),
    ),
    ...(['release.signing_key', 'release.key_check', 'release.erasure_sync'] as const).map((table): StoredTable => ({
      table,
      activity: 'catalog',
      personalData: false,
      holds: [],
      retention: { kind: 'while-in-use', rule: 'keys and bookkeeping of the service; no personal data' },
    })),
  ];
  const smtpHost = hostOfUrl(config.mail.smtpUrl);
  return {
    service: 'release-api',
    url: `${config.publicUrl}/v1/privacy/records`,
    activities: [
      {
        id: 'catalog',
        name: 'Release catalog and its audit trail',
        purpose: 'Publish releases, advisories and maintenance windows, and show which ops account changed what.',
        legalBasis: [
          { article: 'Art. 6(1)(f)', why: 'accountability for changes to what installations are told to run' },
          { article: 'Art. 6(1)(c)', why: 'security of processing (Art. 32)' },
        ],
        dataSubjects: ['ops staff'],
        recipients: [],
      },
      {
        id: 'notices',
        name: 'Maintenance notices',
        purpose: 'Tell subscribers about maintenance windows by mail or webhook, retry failed deliveries and let ops see what was delivered.',
        legalBasis: [{ article: 'Art. 6(1)(b)', why: 'the notices the subscriber (or their organisation) asked for' }],
        dataSubjects: ['subscribers (email addresses, webhook owners)'],
        recipients: [...(smtpHost ? ['SMTP relay (notice mail)'] : []), 'webhook receivers chosen by ops (their origins; a category, not a list)'],
      },
      {
        id: 'statistics',
        name: 'Update-check statistics',
        purpose: 'Count update checks per version, channel and edition to plan support.',
        legalBasis: [{ article: 'Art. 6(1)(f)', why: 'planning support; only aggregates are kept' }],
        dataSubjects: [],
        recipients: [],
      },
    ],
    tables,
    recipients: [
      smtpHost
        ? { name: 'SMTP relay', host: smtpHost, purpose: 'delivers maintenance notices to subscribed addresses' }
        : { name: 'SMTP relay', host: null, purpose: 'none configured: mail is written to the service log' },
      { name: 'Webhook receivers', host: null, purpose: 'the origins ops subscribe (a category); they receive the window, never personal data' },
      { name: 'auth-service', host: hostOfUrl(config.privacy.erasuresUrl), purpose: 'release-api reads its erasure feed (no personal data is sent)' },
    ],
    transfers: [],
    backups: backupRecord(
      config.backups,
      'After a restore, keyhaven-ops erases again every subscriber erased since (its erasure ledger: subscription ids and times, kept outside the database); audit rows of erased ops accounts are pseudonymised again by the next erasure-feed sync.',
    ),
  };
}
