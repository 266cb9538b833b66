import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { PreparedAlone } from '@keyhaven/database';
import { Clock } from '@keyhaven/config';
import { AuthError } from '../app/auth-errors';
import { AUTH_CONFIG, AuthConfig } from '../config/auth.config';
import { AccountRepository, AttemptClaim } from '../accounts/account.repository';
import type { ClaimRead } from './second-factor.strategy';

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

export type ClaimedAttempt = Pick<AttemptClaim, 'count'>;

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
  /** The claim's statement commits alone, also when a caller runs inside a transaction's context. */
  private readonly alone: PreparedAlone;

  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    @Inject(AUTH_CONFIG) config: AuthConfig,
    private readonly accounts: AccountRepository,
  ) {
    this.policy = config.attempts;
    this.alone = new PreparedAlone(em);
  }

  /**
   * Claims an attempt — committed on its own, before the code is checked, so no failure of the
   * step afterwards can give the attempt back — and answers it with what the step needs of the
   * account. Undefined when refused: a delay or lock runs, or the account is locked, closing or
   * gone (`refusal` and the account say which). `read`: a strategy's read, answered in `read` of the claim.
   */
  tryClaim(accountId: string, read?: ClaimRead): Promise<AttemptClaim | undefined> {
    return this.accounts.claimSecondFactorAttempt(this.alone, accountId, this.clock.now(), this.policy, read);
  }

  /** `tryClaim`, refused with 429 too_many_attempts. */
  async claim(accountId: string): Promise<AttemptClaim> {
    const claimed = await this.tryClaim(accountId);
    if (claimed) return claimed;
    throw await this.refusal(accountId);
  }

  /** After a success, inside the caller's transaction (the step's, or an admin's factor reset). */
  async reset(accountId: string, tx: EntityManager): Promise<void> {
    await this.accounts.resetSecondFactorAttempts(tx, accountId);
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
      const cleared = await this.em.fork().transactional((tx) => this.accounts.clearStaleAttempts(tx, cutoff, now, batchSize));
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

  /** 429 too_many_attempts with the wait the running delay or lock leaves. */
  async refusal(accountId: string): Promise<AuthError> {
    const delay = await this.accounts.attemptDelay(this.em.fork(), accountId);
    const nowMs = this.clock.nowMs();
    const lockedUntil = delay?.lockedUntil ? delay.lockedUntil.getTime() : 0;
    const locked = lockedUntil > nowMs;
    const until = locked ? lockedUntil : delay?.nextAttemptAt ? delay.nextAttemptAt.getTime() : nowMs + 1000;
    const retryAfter = Math.max(1, Math.ceil((until - nowMs) / 1000));
    return new AuthError(
      'too_many_attempts',
      locked ? 'Second-factor sign-in is locked after too many wrong codes.' : 'Too many wrong codes: wait before trying again.',
      { locked, retryAfterSeconds: retryAfter },
      { 'Retry-After': String(retryAfter) },
    );
  }
}
