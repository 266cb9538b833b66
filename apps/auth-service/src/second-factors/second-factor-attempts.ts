import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { Clock } from '@keyhaven/config';
import { AuthError } from '../app/auth-errors';
import { AUTH_CONFIG, AuthConfig } from '../config/auth.config';

export interface AttemptPolicy {
  /** Attempts allowed back to back before the delay starts. */
  free: number;
  /** The delay after the first delayed failure; it doubles with each further one. */
  delayBaseMs: number;
  /** Consecutive failures after which second-factor sign-in is locked (NIST 5.2.2: well under 100). */
  lockAfter: number;
  lockDurationMs: number;
  /** A counter untouched this long, with no delay or lock running, is cleared by the retention job. */
  retentionMs: number;
}

/** Delay before the attempt after the `count`-th consecutive one: 0, …, 0, base, 2·base, 4·base … */
export function delayAfter(count: number, policy: AttemptPolicy): number {
  if (count < policy.free) return 0;
  return policy.delayBaseMs * 2 ** Math.min(count - policy.free, 20);
}

export interface ClaimedAttempt {
  /** Consecutive attempts including this one. */
  count: number;
}

/**
 * The per-account failure counter shared by every second factor. An attempt is *claimed* before
 * the code is checked, with one conditional UPDATE that refuses while the delay or the lock
 * runs: parallel requests cannot slip extra guesses past the counter, whatever their number.
 * A success resets it. Callers only get here with a valid pending token, so a stranger who
 * knows just the email cannot lock anyone out.
 */
@Injectable()
export class SecondFactorAttempts {
  private readonly policy: AttemptPolicy;

  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    @Inject(AUTH_CONFIG) config: AuthConfig,
  ) {
    this.policy = config.attempts;
  }

  async claim(accountId: string): Promise<ClaimedAttempt> {
    const now = this.clock.now();
    const p = this.policy;
    // The new count decides the next delay or, at the limit, the lock (which then alone decides
    // when the next attempt is taken) — in the same statement.
    const rows: { mfa_failed_count: number }[] = await this.connection().execute(
      `update auth.account set
         mfa_failed_count = mfa_failed_count + 1,
         mfa_next_attempt_at = case when mfa_failed_count + 1 >= ?::int then null when mfa_failed_count + 1 >= ?::int then ?::timestamptz + (?::float8 * power(2, least(mfa_failed_count + 1 - ?::int, 20))) * interval '1 millisecond' else null end,
         mfa_locked_until = case when mfa_failed_count + 1 >= ?::int then ?::timestamptz + ?::float8 * interval '1 millisecond' else mfa_locked_until end,
         mfa_last_attempt_at = ?::timestamptz
       where id = ?
         and (mfa_locked_until is null or mfa_locked_until <= ?::timestamptz)
         and (mfa_next_attempt_at is null or mfa_next_attempt_at <= ?::timestamptz)
       returning mfa_failed_count`,
      [p.lockAfter, p.free, now, p.delayBaseMs, p.free, p.lockAfter, now, p.lockDurationMs, now, accountId, now, now],
    );
    if (rows[0]) return { count: Number(rows[0].mfa_failed_count) };
    throw await this.refusal(accountId);
  }

  async reset(accountId: string, tx: EntityManager = this.em.fork()): Promise<void> {
    await tx.execute(
      'update auth.account set mfa_failed_count = 0, mfa_next_attempt_at = null, mfa_locked_until = null, mfa_last_attempt_at = null where id = ?',
      [accountId],
    );
  }

  /**
   * Storage limitation for the counters (the daily retention job): a counter whose last attempt
   * is older than AUTH_MFA_ATTEMPT_RETENTION and whose delay and lock are over is cleared, in
   * batches of short transactions that skip rows a sign-in holds. Answers the counters cleared.
   */
  async clearStale(now: Date, batchSize = 5_000): Promise<number> {
    const cutoff = new Date(now.getTime() - this.policy.retentionMs);
    let total = 0;
    for (;;) {
      const cleared = await this.em.fork().transactional(async (tx) => {
        const rows: unknown[] = await tx.getConnection().execute(
          `with stale as (
             select id from auth.account
              where mfa_failed_count > 0 and mfa_last_attempt_at < ?
                and (mfa_locked_until is null or mfa_locked_until <= ?) and (mfa_next_attempt_at is null or mfa_next_attempt_at <= ?)
              limit ? for update skip locked)
           update auth.account a set mfa_failed_count = 0, mfa_next_attempt_at = null, mfa_locked_until = null, mfa_last_attempt_at = null
             from stale where a.id = stale.id returning 1`,
          [cutoff, now, now, Math.trunc(batchSize)],
          'all',
          tx.getTransactionContext(),
        );
        return rows.length;
      });
      total += cleared;
      if (cleared < batchSize) return total;
    }
  }

  /** When a lock that started with this attempt ends, or undefined if it did not lock. */
  lockedUntilAfter(attempt: ClaimedAttempt): Date | undefined {
    return attempt.count >= this.policy.lockAfter ? new Date(this.clock.nowMs() + this.policy.lockDurationMs) : undefined;
  }

  /** The failure count at which the user is mailed (their password is known to someone). */
  isBurst(attempt: ClaimedAttempt): boolean {
    return attempt.count === this.policy.free;
  }

  private async refusal(accountId: string): Promise<AuthError> {
    const rows: { mfa_locked_until: Date | null; mfa_next_attempt_at: Date | null }[] = await this.connection().execute(
      'select mfa_locked_until, mfa_next_attempt_at from auth.account where id = ?',
      [accountId],
    );
    const row = rows[0];
    const nowMs = this.clock.nowMs();
    const lockedUntil = row?.mfa_locked_until ? new Date(row.mfa_locked_until).getTime() : 0;
    const locked = lockedUntil > nowMs;
    const until = locked ? lockedUntil : row?.mfa_next_attempt_at ? new Date(row.mfa_next_attempt_at).getTime() : nowMs + 1000;
    const retryAfter = Math.max(1, Math.ceil((until - nowMs) / 1000));
    return new AuthError(
      'too_many_attempts',
      locked ? 'Second-factor sign-in is locked after too many wrong codes.' : 'Too many wrong codes: wait before trying again.',
      { locked, retryAfterSeconds: retryAfter },
      { 'Retry-After': String(retryAfter) },
    );
  }

  private connection() {
    return this.em.getConnection();
  }
}
