import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import { prepared, runPrepared, type PreparedScope, type PreparedStatement } from '@keyhaven/database';
import type { ClaimRead } from '../second-factors/second-factor.strategy';
import type { LinkedAccount, SyncChange } from '../common/types';
import { Account } from './entities/account.entity';

type Param = string | number | boolean | Date | null;
type Row = Record<string, unknown>;

/** What a claimed second-factor attempt answers: the counter after it, and what the step needs of the account. */
export interface AttemptClaim {
  id: string;
  email: string;
  roles: string[];
  /** Consecutive attempts including this one. */
  count: number;
  /** The value of the `ClaimRead` the claim was asked for. */
  read?: unknown;
}

/** The second-factor limits a claim applies (AUTH_MFA_*; see SecondFactorAttempts). */
export interface AttemptLimits {
  free: number;
  delayBaseMs: number;
  lockAfter: number;
  lockDurationMs: number;
}

// The sign-in step's statements on auth.account, prepared once per pooled connection.
const CLAIM_ATTEMPT_SQL = `update auth.account set
     mfa_failed_count = mfa_failed_count + 1,
     mfa_next_attempt_at = case when mfa_failed_count + 1 >= $1::int then null
                                when mfa_failed_count + 1 >= $2::int then $3::timestamptz + ($4::float8 * power(2, least(mfa_failed_count + 1 - $2::int, 20))) * interval '1 millisecond'
                                else null end,
     mfa_locked_until = case when mfa_failed_count + 1 >= $1::int then $3::timestamptz + $5::float8 * interval '1 millisecond' else mfa_locked_until end,
     mfa_last_attempt_at = $3::timestamptz
   where id = $6 and locked_at is null and erasure_scheduled_at is null
     and (mfa_locked_until is null or mfa_locked_until <= $3::timestamptz)
     and (mfa_next_attempt_at is null or mfa_next_attempt_at <= $3::timestamptz)
   returning id, email, roles, mfa_failed_count`;
const CLAIM_ATTEMPT = prepared('account.claim_attempt', CLAIM_ATTEMPT_SQL);
/** The claim with a strategy's read (`ClaimRead`), one prepared statement per read. */
const claimWithRead = new Map<string, PreparedStatement>();
const RESET_ATTEMPTS = prepared(
  'account.reset_attempts',
  'update auth.account set mfa_failed_count = 0, mfa_next_attempt_at = null, mfa_locked_until = null, mfa_last_attempt_at = null where id = $1',
);
const ATTEMPT_DELAY = prepared('account.attempt_delay', 'select mfa_locked_until, mfa_next_attempt_at from auth.account where id = $1');

export interface LockedAccount {
  id: string;
  email: string;
  roles: string[];
  erasureScheduledAt: Date | null;
}

/**
 * The queries of `auth.account` — sign-up, sign-in lookups, passwords, directory links and the
 * directory sync's writes, self-service deletion's schedule, the second-factor attempt counters
 * (their policy is `SecondFactorAttempts`'). Every method runs on the EntityManager it is given
 * (the caller's transaction, or a fork whose statements each commit on their own); none opens a
 * transaction or commits. Not here: the export and erasure of one data subject
 * (`PersonalDataRepository`, which reads and deletes a person's rows across the schema).
 */
@Injectable()
export class AccountRepository {
  findById(em: EntityManager, id: string): Promise<Account | null> {
    return em.findOne(Account, { id });
  }

  /** `email` as stored: normalised by the caller. */
  findByEmail(em: EntityManager, email: string): Promise<Account | null> {
    return em.findOne(Account, { email });
  }

  findByDirectoryId(em: EntityManager, directoryId: string): Promise<Account | null> {
    return em.findOne(Account, { directoryId });
  }

  /** A new local account, written with the caller's next flush (the unique email decides a race). */
  add(em: EntityManager, account: { email: string; passwordHash: string; roles: string[] }): Account {
    return em.create(Account, account);
  }

  /** A new account linked to a directory entry, inserted now on the caller's transaction. */
  async insertLinked(
    em: EntityManager,
    account: { id: string; email: string; roles: string[]; directoryRoles: string[]; directoryId: string; directoryDn: string; directoryLogin: string },
  ): Promise<void> {
    await em.insert(Account, { ...account, passwordHash: null });
  }

  async setPasswordHash(em: EntityManager, id: string, passwordHash: string): Promise<void> {
    await em.nativeUpdate(Account, { id }, { passwordHash, updatedAt: new Date() });
  }

  /** The directory entry was renamed or moved: the account follows its DN and login. */
  async relink(em: EntityManager, id: string, directoryDn: string, directoryLogin: string): Promise<void> {
    await em.nativeUpdate(Account, { id }, { directoryDn, directoryLogin });
  }

  /**
   * Starts the MFA grace period once, on the first sign-in that falls under enforcement; a
   * conditional write, so two simultaneous sign-ins agree on one start.
   */
  async startGracePeriod(em: EntityManager, id: string, now: Date): Promise<Date> {
    const rows = await this.run(
      em,
      'update auth.account set mfa_grace_started_at = coalesce(mfa_grace_started_at, ?) where id = ? returning mfa_grace_started_at',
      [now, id],
    );
    const row = rows[0];
    if (!row) throw new Error(`No account ${id}`);
    return new Date(row['mfa_grace_started_at'] as string);
  }

  /**
   * Locks the account row for the rest of the caller's transaction: changes that must not
   * interleave for one account (recovery-code sets, exports and erasures) queue here.
   */
  async lock(em: EntityManager, id: string): Promise<LockedAccount | undefined> {
    const rows = await this.run(em, 'select id, email, roles, erasure_scheduled_at from auth.account where id = ? for update', [id]);
    const row = rows[0];
    if (!row) return undefined;
    return {
      id: String(row['id']),
      email: String(row['email']),
      roles: row['roles'] as string[],
      erasureScheduledAt: row['erasure_scheduled_at'] ? new Date(row['erasure_scheduled_at'] as string) : null,
    };
  }

  // ---- self-service deletion ----

  /** Admins other than `id` that are not on their way out (no deletion scheduled). */
  async otherAdmins(em: EntityManager, id: string): Promise<number> {
    // Serialises every erasure of an admin: two admins erasing each other at once cannot both win.
    await this.run(em, `select pg_advisory_xact_lock(hashtext('keyhaven:auth:admin-erasure'))`, []);
    const rows = await this.run(em, `select count(*)::int as n from auth.account where 'admin' = any(roles) and id <> ? and erasure_scheduled_at is null`, [
      id,
    ]);
    return Number(rows[0]?.['n'] ?? 0);
  }

  async scheduleErasure(em: EntityManager, id: string, at: Date): Promise<boolean> {
    const rows = await this.run(em, 'update auth.account set erasure_scheduled_at = ? where id = ? and erasure_scheduled_at is null returning id', [at, id]);
    return rows.length === 1;
  }

  /** Calls off the deletion scheduled for exactly `at` (a link names the date it was made for). */
  async cancelErasure(em: EntityManager, id: string, at: Date): Promise<boolean> {
    const rows = await this.run(em, 'update auth.account set erasure_scheduled_at = null where id = ? and erasure_scheduled_at = ? returning id', [id, at]);
    return rows.length === 1;
  }

  async isScheduledFor(em: EntityManager, id: string, at: Date): Promise<boolean> {
    return (await this.run(em, 'select 1 from auth.account where id = ? and erasure_scheduled_at = ?', [id, at])).length === 1;
  }

  /** Accounts whose deletion grace has passed (the daily safety net behind the deletion jobs). */
  async dueErasures(em: EntityManager, now: Date, limit = 1000): Promise<string[]> {
    const rows = await this.run(em, 'select id from auth.account where erasure_scheduled_at <= ? order by erasure_scheduled_at limit ?', [now, limit]);
    return rows.map((row) => String(row['id']));
  }

  // ---- the directory sync ----

  async linkedAccounts(em: EntityManager): Promise<LinkedAccount[]> {
    const rows = await this.run(
      em,
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
  async takenMails(em: EntityManager, mails: readonly string[]): Promise<Set<string>> {
    if (mails.length === 0) return new Set();
    const rows = await this.run(em, `select email from auth.account where email in (select jsonb_array_elements_text(?::jsonb))`, [JSON.stringify(mails)]);
    return new Set(rows.map((row) => String(row['email'])));
  }

  /** Unlocked local accounts holding `admin`: they stay admins whatever a sync does. */
  async localAdmins(em: EntityManager): Promise<number> {
    const rows = await this.run(
      em,
      `select count(*)::int as n from auth.account where directory_id is null and locked_at is null and 'admin' = any(roles)`,
      [],
    );
    return Number(rows[0]?.['n'] ?? 0);
  }

  /**
   * Writes a sync run's changes, one statement per kind of change (a sync of thousands of
   * accounts stays a handful of round trips). Answers the changes that took: the writes are
   * conditional (a lock only of an unlocked account, an unlock only of a directory lock), so a
   * row changed meanwhile (an admin's lock, a sign-in) is left as it is.
   */
  async applyDirectoryChanges(em: EntityManager, changes: readonly SyncChange[], now: Date): Promise<SyncChange[]> {
    const of = <K extends SyncChange['kind']>(kind: K) => changes.filter((change): change is Extract<SyncChange, { kind: K }> => change.kind === kind);
    const took = new Set<string>();
    const write = async (kind: SyncChange['kind'], sql: string, rows: unknown[], extra: Param[] = []) => {
      if (rows.length === 0) return;
      for (const row of await this.run(em, sql, [...extra, JSON.stringify(rows)])) took.add(`${kind}:${String(row['id'])}`);
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

  /**
   * Claims a second-factor attempt (see SecondFactorAttempts): one conditional UPDATE that counts
   * it and starts the delay or the lock it earns, unless one runs — and unless the account is
   * locked or closing (then nothing is counted). Undefined when refused; `attemptDelay` and the
   * account then say why.
   */
  async claimSecondFactorAttempt(em: PreparedScope, id: string, now: Date, limits: AttemptLimits, read?: ClaimRead): Promise<AttemptClaim | undefined> {
    const statement = read ? claimStatementWith(read) : CLAIM_ATTEMPT;
    const { rows } = await runPrepared(em, statement, [limits.lockAfter, limits.free, now, limits.delayBaseMs, limits.lockDurationMs, id]);
    const row = rows[0];
    if (!row) return undefined;
    const claim: AttemptClaim = { id: String(row['id']), email: String(row['email']), roles: row['roles'] as string[], count: Number(row['mfa_failed_count']) };
    if (read) claim.read = row['read'];
    return claim;
  }

  /** After a successful second step: the counter, its delay and lock start over. */
  async resetSecondFactorAttempts(em: EntityManager, id: string): Promise<void> {
    await runPrepared(em, RESET_ATTEMPTS, [id]);
  }

  /** The running lock and delay of the account's second-factor attempts. */
  async attemptDelay(em: EntityManager, id: string): Promise<{ lockedUntil: Date | null; nextAttemptAt: Date | null } | undefined> {
    const row = (await runPrepared(em, ATTEMPT_DELAY, [id])).rows[0];
    if (!row) return undefined;
    const at = (value: unknown) => (value ? new Date(value as string) : null);
    return { lockedUntil: at(row['mfa_locked_until']), nextAttemptAt: at(row['mfa_next_attempt_at']) };
  }

  /**
   * Storage limitation for the counters: up to `batchSize` counters whose last attempt is before
   * `cutoff` and whose delay and lock are over are cleared, skipping rows a sign-in holds.
   * Answers how many. The caller runs each batch in a short transaction of its own.
   */
  async clearStaleAttempts(em: EntityManager, cutoff: Date, now: Date, batchSize: number): Promise<number> {
    const rows = await this.run(
      em,
      `with stale as (
         select id from auth.account
          where mfa_failed_count > 0 and mfa_last_attempt_at < ?
            and (mfa_locked_until is null or mfa_locked_until <= ?) and (mfa_next_attempt_at is null or mfa_next_attempt_at <= ?)
          limit ? for update skip locked)
       update auth.account a set mfa_failed_count = 0, mfa_next_attempt_at = null, mfa_locked_until = null, mfa_last_attempt_at = null
         from stale where a.id = stale.id returning 1`,
      [cutoff, now, now, Math.trunc(batchSize)],
    );
    return rows.length;
  }

  private run(em: EntityManager, sql: string, params: Param[]): Promise<Row[]> {
    return em.getConnection().execute(sql, params, 'all', em.getTransactionContext());
  }
}

/** The claim and a strategy's read in one statement: the read runs only on a claimed attempt, in the claim's snapshot. */
function claimStatementWith(read: ClaimRead): PreparedStatement {
  let statement = claimWithRead.get(read.name);
  if (!statement) {
    statement = prepared(
      `account.claim_attempt+${read.name}`,
      `with claimed as (${CLAIM_ATTEMPT_SQL}) select claimed.id, claimed.email, claimed.roles, claimed.mfa_failed_count, (${read.sql}) as read from claimed`,
    );
    claimWithRead.set(read.name, statement);
  }
  return statement;
}
