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

  /** How far a running run has read (after each page of the user search). */
  async progress(id: string, usersRead: number): Promise<void> {
    await this.run(`update auth.directory_sync_run set users_read = ? where id = ? and status = 'running'`, [usersRead, id]);
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

  /**
   * Writes a run's changes on `tx`, one statement per kind of change (a sync of thousands of
   * accounts stays a handful of round trips). Answers the changes that took: the writes are
   * conditional, and a row changed meanwhile (an admin's lock, a sign-in) is left as it is.
   */
  async apply(changes: readonly SyncChange[], now: Date, tx: EntityManager): Promise<SyncChange[]> {
    const of = <K extends SyncChange['kind']>(kind: K) => changes.filter((change): change is Extract<SyncChange, { kind: K }> => change.kind === kind);
    const took = new Set<string>();
    const write = async (kind: SyncChange['kind'], sql: string, rows: unknown[], extra: Param[] = []) => {
      if (rows.length === 0) return;
      for (const row of await this.run(sql, [...extra, JSON.stringify(rows)], tx)) took.add(`${kind}:${String(row['id'])}`);
    };
    await write(
      'lock',
      `update auth.account a set locked_at = ?, lock_reason = x.reason from jsonb_to_recordset(?::jsonb) as x(id uuid, reason text) where a.id = x.id and a.locked_at is null returning a.id`,
      of('lock').map((c) => ({ id: c.accountId, reason: c.reason })),
      [now],
    );
    await write(
      'unlock',
      `update auth.account a set locked_at = null, lock_reason = null from jsonb_to_recordset(?::jsonb) as x(id uuid) where a.id = x.id and a.lock_reason in ('ldap_disabled', 'ldap_missing') returning a.id`,
      of('unlock').map((c) => ({ id: c.accountId })),
    );
    await write(
      'mail',
      `update auth.account a set email = x.email from jsonb_to_recordset(?::jsonb) as x(id uuid, email text, previous text) where a.id = x.id and a.email = x.previous returning a.id`,
      of('mail').map((c) => ({ id: c.accountId, email: c.to, previous: c.from })),
    );
    await write(
      'roles',
      `update auth.account a set roles = array(select jsonb_array_elements_text(x.roles)), directory_roles = array(select jsonb_array_elements_text(x.directory_roles))
       from jsonb_to_recordset(?::jsonb) as x(id uuid, roles jsonb, directory_roles jsonb) where a.id = x.id returning a.id`,
      of('roles').map((c) => ({ id: c.accountId, roles: c.roles, directory_roles: c.directoryRoles })),
    );
    await write(
      'relink',
      `update auth.account a set directory_dn = x.dn, directory_login = x.login from jsonb_to_recordset(?::jsonb) as x(id uuid, dn text, login text) where a.id = x.id returning a.id`,
      of('relink').map((c) => ({ id: c.accountId, dn: c.dn, login: c.login })),
    );
    return changes.filter((change) => took.has(`${change.kind}:${change.accountId}`));
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
    usersRead: Number(row['users_read'] ?? 0),
    counts: (row['counts'] as SyncCounts | null) ?? null,
    abortReason: (row['abort_reason'] as string | null) ?? null,
  };
}
