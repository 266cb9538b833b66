import { Injectable } from '@nestjs/common';
import { type EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import type { SyncAction, SyncCounts, SyncRunStatus } from './entities/directory-sync-run.entity';

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
  /** Directory users read so far (after every page while running). */
  usersRead: number;
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

const RUN_COLUMNS = 'id, status, trigger, dry_run, forced, requested_by, started_at, finished_at, users_read, counts, abort_reason';

/**
 * The one owner of `auth.directory_sync_run`. Every method runs on the EntityManager it is given;
 * none opens a transaction or commits. (The account columns a sync writes are AccountRepository's.)
 */
@Injectable()
export class DirectorySyncRepository {
  /** A new running run; false when another one is running (the partial unique index decides). */
  async start(em: EntityManager, run: NewRun): Promise<boolean> {
    try {
      await this.run(
        em,
        `insert into auth.directory_sync_run (id, status, trigger, dry_run, forced, requested_by, started_at) values (?, 'running', ?, ?, ?, ?, ?)`,
        [run.id, run.trigger, run.dryRun, run.forced, run.requestedBy ?? null, run.startedAt],
      );
      return true;
    } catch (error) {
      // A raw statement fails with the driver's error (MikroORM converts only its own operations'):
      // 23505 is PostgreSQL's unique_violation.
      if (error instanceof UniqueConstraintViolationException || (error as { code?: unknown }).code === '23505') return false;
      throw error;
    }
  }

  async runningRun(em: EntityManager): Promise<SyncRunView | undefined> {
    const rows = await this.run(em, `select ${RUN_COLUMNS} from auth.directory_sync_run where status = 'running'`, []);
    return rows[0] ? view(rows[0]) : undefined;
  }

  /** A run whose worker died long ago (pg-boss gave up on its job) no longer blocks new runs. */
  async abortStale(em: EntityManager, startedBefore: Date, now: Date): Promise<number> {
    const rows = await this.run(
      em,
      `update auth.directory_sync_run set status = 'aborted', finished_at = ?, abort_reason = 'the run did not finish (its worker stopped)' where status = 'running' and started_at < ? returning id`,
      [now, startedBefore],
    );
    return rows.length;
  }

  /** How far a running run has read (after each page of the user search). */
  async progress(em: EntityManager, id: string, usersRead: number): Promise<void> {
    await this.run(em, `update auth.directory_sync_run set users_read = ? where id = ? and status = 'running'`, [usersRead, id]);
  }

  async finish(
    em: EntityManager,
    id: string,
    outcome: { status: Exclude<SyncRunStatus, 'running'>; finishedAt: Date; counts?: SyncCounts; actions?: SyncAction[]; abortReason?: string },
  ): Promise<void> {
    await this.run(
      em,
      `update auth.directory_sync_run set status = ?, finished_at = ?, counts = ?::jsonb, actions = ?::jsonb, abort_reason = ? where id = ? and status = 'running'`,
      [
        outcome.status,
        outcome.finishedAt,
        outcome.counts ? JSON.stringify(outcome.counts) : null,
        outcome.actions ? JSON.stringify(outcome.actions) : null,
        outcome.abortReason ?? null,
        id,
      ],
    );
  }

  async find(em: EntityManager, id: string): Promise<SyncRunView | undefined> {
    const rows = await this.run(em, `select ${RUN_COLUMNS}, actions from auth.directory_sync_run where id = ?`, [id]);
    return rows[0] ? { ...view(rows[0]), actions: (rows[0]['actions'] as SyncAction[] | null) ?? [] } : undefined;
  }

  async list(em: EntityManager, limit: number): Promise<SyncRunView[]> {
    const rows = await this.run(em, `select ${RUN_COLUMNS} from auth.directory_sync_run order by started_at desc, id limit ?`, [limit]);
    return rows.map(view);
  }

  async lastCompleted(em: EntityManager): Promise<SyncRunView | undefined> {
    const rows = await this.run(
      em,
      `select ${RUN_COLUMNS} from auth.directory_sync_run where status = 'completed' and not dry_run order by started_at desc limit 1`,
      [],
    );
    return rows[0] ? view(rows[0]) : undefined;
  }

  private run(em: EntityManager, sql: string, params: Param[]): Promise<Row[]> {
    return em.getConnection().execute(sql, params, 'all', em.getTransactionContext());
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
    usersRead: Number(row['users_read'] ?? 0),
    counts: (row['counts'] as SyncCounts | null) ?? null,
    abortReason: (row['abort_reason'] as string | null) ?? null,
  };
}
