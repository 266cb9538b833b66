import { Entity, Index, Opt, PrimaryKey, Property } from '@mikro-orm/core';

export const SYNC_RUN_STATUSES = ['running', 'completed', 'aborted', 'refused'] as const;
export type SyncRunStatus = (typeof SYNC_RUN_STATUSES)[number];

/** What a run did (or, in a dry run, would do) to one linked account, and why. */
export interface SyncAction {
  accountId: string;
  login: string;
  action: 'lock' | 'unlock' | 'update' | 'roles' | 'report';
  /** `ldap_disabled`, `ldap_missing`, `found_enabled`, `mail_changed`, `locked_out_in_directory`, `last_admin_kept`… */
  reason: string;
  details?: Record<string, unknown>;
}

export interface SyncCounts {
  directoryUsers: number;
  linkedAccounts: number;
  locked: number;
  unlocked: number;
  updated: number;
  roleChanges: number;
  reported: number;
}

/**
 * One directory sync run and its report. Written only by DirectorySyncRepository's SQL; a
 * partial unique index lets one run be `running` at a time. Holds logins (personal data):
 * pruned after LDAP_SYNC_RUN_RETENTION.
 */
@Entity({ tableName: 'directory_sync_run' })
@Index({ properties: ['startedAt'] })
export class DirectorySyncRun {
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @Property({ type: 'text' })
  status!: SyncRunStatus;

  /** `schedule` (LDAP_SYNC_INTERVAL) or `admin` (the API or keyhaven-ops). */
  @Property({ type: 'text' })
  trigger!: 'schedule' | 'admin';

  @Property({ type: 'boolean' })
  dryRun!: boolean;

  @Property({ type: 'boolean' })
  forced!: boolean;

  @Property({ type: 'uuid', nullable: true })
  requestedBy?: string & Opt;

  @Property({ type: 'timestamptz' })
  startedAt!: Date;

  @Property({ type: 'timestamptz', nullable: true })
  finishedAt?: Date & Opt;

  /** Directory users read so far, written after every page: a long run shows it is alive. */
  @Property({ type: 'integer', default: 0 })
  usersRead!: number & Opt;

  @Property({ type: 'json', nullable: true })
  counts?: SyncCounts & Opt;

  @Property({ type: 'json', nullable: true })
  actions?: SyncAction[] & Opt;

  @Property({ type: 'text', nullable: true })
  abortReason?: string & Opt;
}
