import { Injectable } from '@nestjs/common';
import { EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import type { SyncAction, SyncCounts, SyncRunStatus } from './entities/directory-sync-run.entity';
import type { LinkedAccount, SyncChange } from './sync-plan';

type Param = string | number | boolean | Date | null;
type Row = Record<string, unknown>;

export interface SyncRunView {
  id: string;
  status: SyncRunStatus;
  trigger: 'schedule' | 'admin';
  dryRun: boolean;
  forced: boolean;
  requestedBy: string | null;
  startedAt: string;
  finishedAt: string | null;
  counts: SyncCounts | null;
  abortReason: string | null;
  actions?: SyncAction[];
}

export interface NewRun {
  id: string;
  trigger: 'schedule' | 'admin';
  dryRun: boolean;
  forced: boolean;
  requestedBy: string | undefined;
  startedAt: Date;
}

const RUN_COLUMNS = 'id, status, trigger, dry_run, forced, requested_by, started_at, finished_at, counts, abort_reason';

/**
 * The one owner of `auth.directory_sync_run` and of the account columns the sync writes. Writes
 * are conditional (a lock only on an unlocked account, an unlock only of a directory lock), so a
 * sign-in or an admin acting meanwhile is never overwritten.
 */
@Injectable()
export class DirectorySyncRepository {
  constructor(private readonly em: EntityManager) {}

  /** A new running run; false when another one is running (the partial unique index decides). */
  async start(run: NewRun): Promise<boolean> {
    try {
      await this.run(
        `insert into auth.directory_sync_run (id, status, trigger, dry_run, forced, requested_by, started_at) values (?, 'running', ?, ?, ?, ?, ?)`,
        [run.id, run.trigger, run.dryRun, run.forced, run.requestedBy ?? null, run.startedAt],
      );
      return true;
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) return false;
      throw error;
    }
  }

  async runningRun(): Promise<SyncRunView | undefined> {
    const rows = await this.run(`select ${RUN_COLUMNS} from auth.directory_sync_run where status = 'running'`, []);
    return rows[0] ? view(rows[0]) : undefined;
  }

  /** A run whose worker died long ago (pg-boss gave up on its job) no longer blocks new runs. */
  async abortStale(startedBefore: Date, now: Date): Promise<number> {
    const rows = await this.run(
      `update auth.directory_sync_run set status = 'aborted', finished_at = ?, abort_reason = 'the run did not finish (its worker stopped)' where status = 'running' and started_at < ? returning id`,
      [now, startedBefore],
    );
    return rows.length;
  }

  async finish(id: string, outcome: { status: Exclude<SyncRunStatus, 'running'>; finishedAt: Date; counts?: SyncCounts; actions?: SyncAction[]; abortReason?: string }, tx?: EntityManager): Promise<void> {
    await this.run(
      `update auth.directory_sync_run set status = ?, finished_at = ?, counts = ?::jsonb, actions = ?::jsonb, abort_reason = ? where id = ? and status = 'running'`,
      [outcome.status, outcome.finishedAt, outcome.counts ? JSON.stringify(outcome.counts) : null, outcome.actions ? JSON.stringify(outcome.actions) : null, outcome.abortReason ?? null, id],
      tx,
    );
  }

  async find(id: string): Promise<SyncRunView | undefined> {
    const rows = await this.run(`select ${RUN_COLUMNS}, actions from auth.directory_sync_run where id = ?`, [id]);
    return rows[0] ? { ...view(rows[0]), actions: (rows[0]['actions'] as SyncAction[] | null) ?? [] } : undefined;
  }

  async list(limit: number): Promise<SyncRunView[]> {
    const rows = await this.run(`select ${RUN_COLUMNS} from auth.directory_sync_run order by started_at desc, id limit ?`, [limit]);
    return rows.map(view);
  }

  async lastCompleted(): Promise<SyncRunView | undefined> {
    const rows = await this.run(`select ${RUN_COLUMNS} from auth.directory_sync_run where status = 'completed' and not dry_run order by started_at desc limit 1`, []);
    return rows[0] ? view(rows[0]) : undefined;
  }

  /** Retention (LDAP_SYNC_RUN_RETENTION): reports hold logins. */
  async prune(before: Date): Promise<number> {
    const rows = await this.run(`delete from auth.directory_sync_run where status <> 'running' and started_at < ? returning id`, [before]);
    return rows.length;
  }

  async linkedAccounts(): Promise<LinkedAccount[]> {
    const rows = await this.run(
      `select id, email, roles, directory_roles, directory_id, directory_dn, directory_login, lock_reason from auth.account where directory_id is not null order by id`,
      [],
    );
    return rows.map((row) => ({
      id: String(row['id']),
      email: String(row['email']),
      roles: row['roles'] as string[],
      directoryRoles: row['directory_roles'] as string[],
      directoryId: String(row['directory_id']),
      directoryDn: (row['directory_dn'] as string | null) ?? null,
      directoryLogin: (row['directory_login'] as string | null) ?? null,
      lockReason: (row['lock_reason'] as string | null) ?? null,
    }));
  }

  /** Which of these mail addresses accounts use. */
  async takenMails(mails: readonly string[]): Promise<Set<string>> {
    if (mails.length === 0) return new Set();
    const rows = await this.run(`select email from auth.account where email in (select jsonb_array_elements_text(?::jsonb))`, [JSON.stringify(mails)]);
    return new Set(rows.map((row) => String(row['email'])));
  }

  /** Unlocked local accounts holding `admin`: they stay admins whatever a sync does. */
  async localAdmins(): Promise<number> {
    const rows = await this.run(`select count(*)::int as n from auth.account where directory_id is null and locked_at is null and 'admin' = any(roles)`, []);
    return Number(rows[0]?.['n'] ?? 0);
  }

  /** Writes one change on `tx`; answers whether it took (a conditional write may find the row changed meanwhile). */
  async apply(change: SyncChange, now: Date, tx: EntityManager): Promise<boolean> {
    let rows: Row[];
    switch (change.kind) {
      case 'lock':
        rows = await this.run(`update auth.account set locked_at = ?, lock_reason = ? where id = ? and locked_at is null returning id`, [now, change.reason, change.accountId], tx);
        break;
      case 'unlock':
        rows = await this.run(
          `update auth.account set locked_at = null, lock_reason = null where id = ? and lock_reason in ('ldap_disabled', 'ldap_missing') returning id`,
          [change.accountId],
          tx,
        );
        break;
      case 'mail':
        rows = await this.run(`update auth.account set email = ? where id = ? and email = ? returning id`, [change.to, change.accountId, change.from], tx);
        break;
      case 'roles':
        rows = await this.run(
          `update auth.account set roles = array(select jsonb_array_elements_text(?::jsonb)), directory_roles = array(select jsonb_array_elements_text(?::jsonb)) where id = ? returning id`,
          [JSON.stringify(change.roles), JSON.stringify(change.directoryRoles), change.accountId],
          tx,
        );
        break;
      case 'relink':
        rows = await this.run(`update auth.account set directory_dn = ?, directory_login = ? where id = ? returning id`, [change.dn, change.login, change.accountId], tx);
        break;
    }
    return rows.length === 1;
  }

  private run(sql: string, params: Param[], tx?: EntityManager): Promise<Row[]> {
    return this.em.getConnection().execute(sql, params, 'all', tx?.getTransactionContext());
  }
}

function view(row: Row): SyncRunView {
  const date = (value: unknown) => (value ? new Date(value as string).toISOString() : null);
  return {
    id: String(row['id']),
    status: row['status'] as SyncRunStatus,
    trigger: row['trigger'] as 'schedule' | 'admin',
    dryRun: Boolean(row['dry_run']),
    forced: Boolean(row['forced']),
    requestedBy: (row['requested_by'] as string | null) ?? null,
    startedAt: date(row['started_at']) as string,
    finishedAt: date(row['finished_at']),
    counts: (row['counts'] as SyncCounts | null) ?? null,
    abortReason: (row['abort_reason'] as string | null) ?? null,
  };
}
