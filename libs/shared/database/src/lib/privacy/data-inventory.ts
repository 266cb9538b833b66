/**
 * What a service stores, table by table, and how long: the one source for the retention job
 * (which deletes what a rule says has expired), the records of processing (GDPR Art. 30,
 * `GET /v1/privacy/records`) and the test that fails when a table of the migrated schema has
 * no entry. A rule's period is read from the running configuration, so the document cannot
 * drift from what the service does.
 */

import type { BackupPolicy } from '@keyhaven/config';

/** GDPR Art. 6(1): the legal bases Keyhaven's processing rests on. */
export type LegalBasis = 'Art. 6(1)(b)' | 'Art. 6(1)(c)' | 'Art. 6(1)(f)';

export interface ProcessingActivity {
  id: string;
  name: string;
  purpose: string;
  legalBasis: { article: LegalBasis; why: string }[];
  dataSubjects: string[];
  /** Who receives the data besides the service itself (categories, e.g. "SMTP relay"). */
  recipients: string[];
}

/**
 * Deletes what has expired, a batch at a time: `delete from <table> where <key> in (select <key>
 * from <table> where <where> limit n)`. `params` gives the values of the `?` in `where`.
 */
export interface PruneRule {
  key: string;
  where: string;
  params: (now: Date) => (string | number | Date)[];
  /**
   * Statements run first on the batch's transaction (e.g. `set local` of a setting an
   * append-only trigger checks), with the same params function.
   */
  before?: { sql: string; params: (now: Date) => (string | number | Date)[] };
}

export type Retention =
  /** Deleted a fixed time after an event (`setting` holds the period). */
  | { kind: 'period'; rule: string; setting: string; ms: number; prune: PruneRule }
  /** Deleted once its own expiry passed (a challenge, a token), optionally with a configurable lifetime. */
  | { kind: 'expiry'; rule: string; setting?: string; ms?: number; prune: PruneRule }
  /** Kept while the person's account exists; deleted by an erasure (on request, or after a deletion's grace). */
  | { kind: 'until-erasure'; rule: string; setting?: string; ms?: number }
  /** Deleted by a component that owns it (pg-boss deletes its archived jobs). */
  | { kind: 'managed'; rule: string; setting?: string; ms?: number }
  /** Kept while its parent lives, deleted with it (an account's factors go with the account). */
  | { kind: 'with-parent'; rule: string; parent: string }
  /** Holds no personal data and stays bounded (a key, a counter): kept while in use. */
  | { kind: 'while-in-use'; rule: string };

export interface StoredTable {
  /** `schema.table`, as in the migrated database. */
  table: string;
  activity: string;
  personalData: boolean;
  /** The categories of personal data and the columns that hold them (empty without personal data). */
  holds: { category: string; fields: string[] }[];
  retention: Retention;
}

export interface DataInventory {
  service: string;
  activities: ProcessingActivity[];
  tables: StoredTable[];
  recipients: { name: string; host: string | null; purpose: string }[];
  transfers: string[];
  backups: BackupRecord;
  /** Where the readable version of this document lives (absolute URL). */
  url: string;
}

/**
 * The records' backup entry (GDPR Art. 30(1)(g): storage and security), from the running
 * configuration's BACKUP_REPO / BACKUP_RETENTION: the window, the kind of repository (never its
 * path, bucket or credentials) and the encryption keyhaven-ops always applies.
 */
export interface BackupRecord {
  configured: boolean;
  /** How long a backup (and so an erased person in it) is kept, e.g. `30d`; null when not configured here. */
  window: string | null;
  setting: 'BACKUP_RETENTION';
  repository: BackupPolicy['repository'] | null;
  /** `aes-256-cbc`: keyhaven-ops refuses to write an unencrypted repository. */
  encryption: 'aes-256-cbc' | null;
  description: string;
}

/** The backup entry of a service's records; `restoreNote` says what a restore means for that service's erasures. */
export function backupRecord(policy: BackupPolicy | undefined, restoreNote: string): BackupRecord {
  if (!policy) {
    return {
      configured: false,
      window: null,
      setting: 'BACKUP_RETENTION',
      repository: null,
      encryption: null,
      description: `No backups are declared to this service (BACKUP_REPO is not set in its environment); backups are the operator’s (docs/backups.md). ${restoreNote}`,
    };
  }
  const window = `${policy.retentionDays}d`;
  return {
    configured: true,
    window,
    setting: 'BACKUP_RETENTION',
    repository: policy.repository,
    encryption: 'aes-256-cbc',
    description: `Encrypted database backups (pgBackRest, AES-256-CBC, ${policy.repository === 's3' ? 'an S3-compatible bucket' : 'a folder'}) with point-in-time restore, kept ${window} (BACKUP_RETENTION): a backup holds what was erased after it until it expires. ${restoreNote}`,
  };
}

/** A period as operators write it (`365d`, `3y`). */
export function formatPeriod(ms: number): string {
  const day = 86_400_000;
  // Years from two on: a one-year period reads as the `365d` operators configure by default.
  if (ms > 365 * day && ms % (365 * day) === 0) return `${ms / (365 * day)}y`;
  if (ms % day === 0) return `${ms / day}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Math.round(ms / 1000)}s`;
}

export interface RecordsOfProcessing {
  schema: 'keyhaven.records/v1';
  service: string;
  generatedAt: string;
  url: string;
  activities: (ProcessingActivity & {
    dataCategories: { category: string; storage: { table: string; fields: string[] }[] }[];
    retention: RetentionView[];
    transfers: string[];
  })[];
  storage: { table: string; activity: string; personalData: boolean; holds: { category: string; fields: string[] }[]; retention: RetentionView }[];
  recipients: { name: string; host: string | null; purpose: string }[];
  transfers: string[];
  backups: BackupRecord;
}

export interface RetentionView {
  table: string;
  kind: Retention['kind'];
  rule: string;
  /** The setting that controls it and its running value, when one does. */
  setting: string | null;
  value: string | null;
}

function retentionView(table: StoredTable): RetentionView {
  const r = table.retention;
  const setting = 'setting' in r && r.setting ? r.setting : null;
  const value = 'ms' in r && r.ms !== undefined ? formatPeriod(r.ms) : null;
  return { table: table.table, kind: r.kind, rule: r.rule, setting, value };
}

/** The records of processing (Art. 30) of one service, built from its inventory. */
export function buildRecords(inventory: DataInventory, now: Date): RecordsOfProcessing {
  const activities = inventory.activities.map((activity) => {
    const tables = inventory.tables.filter((t) => t.activity === activity.id);
    const categories = new Map<string, { table: string; fields: string[] }[]>();
    for (const table of tables) {
      for (const held of table.holds) {
        const list = categories.get(held.category) ?? [];
        list.push({ table: table.table, fields: held.fields });
        categories.set(held.category, list);
      }
    }
    return {
      ...activity,
      dataCategories: [...categories].map(([category, storage]) => ({ category, storage })),
      retention: tables.map(retentionView),
      transfers: inventory.transfers,
    };
  });
  return {
    schema: 'keyhaven.records/v1',
    service: inventory.service,
    generatedAt: now.toISOString(),
    url: inventory.url,
    activities,
    storage: inventory.tables.map((t) => ({ table: t.table, activity: t.activity, personalData: t.personalData, holds: t.holds, retention: retentionView(t) })),
    recipients: inventory.recipients,
    transfers: inventory.transfers,
    backups: inventory.backups,
  };
}

/** Inventory entries that are wrong in themselves (an unknown activity, personal data with nothing held). */
export function inventoryProblems(inventory: DataInventory): string[] {
  const problems: string[] = [];
  const activities = new Set(inventory.activities.map((a) => a.id));
  const seen = new Set<string>();
  for (const table of inventory.tables) {
    if (seen.has(table.table)) problems.push(`${table.table}: listed twice`);
    seen.add(table.table);
    if (!activities.has(table.activity)) problems.push(`${table.table}: unknown activity ${table.activity}`);
    if (table.personalData && table.holds.length === 0) problems.push(`${table.table}: personal data, but no category named`);
    if (table.personalData && table.retention.kind === 'while-in-use') problems.push(`${table.table}: personal data needs a retention period`);
  }
  return problems;
}

/** A recipient named by host (and port) only — never the credentials of a `smtp://user:pass@host` URL. */
export function hostOfUrl(url: string | undefined): string | null {
  if (!url) return null;
  try {
    return new URL(url).host;
  } catch {
    return null;
  }
}
