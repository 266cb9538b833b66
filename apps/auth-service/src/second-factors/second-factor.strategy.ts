import type { EntityManager } from '@mikro-orm/postgresql';
import type { PreparedScope } from '@keyhaven/database';
import type { Amr } from '../sessions/token-claims';

/** The method names clients see in the sign-in answer's `methods`. */
export type SecondFactorMethod = 'totp' | 'webauthn' | 'recovery_code';

/** Why a second step failed; each is an error code of AUTH_ERROR_STATUS (all 401). */
export type SecondFactorFailure =
  'invalid_code' | 'code_already_used' | 'webauthn_failed' | 'challenge_expired' | 'challenge_not_found' | 'unknown_credential' | 'counter_regression';

export type SecondFactorOutcome =
  | { ok: true; factorId?: string; details?: Record<string, unknown>; amr?: readonly Amr[] }
  | { ok: false; reason: SecondFactorFailure; factorId?: string; message?: string; details?: Record<string, unknown> };

/**
 * One kind of second factor. TOTP, recovery codes and WebAuthn implement it, so they
 * share one verify path: one failure counter, one lock, one audit trail (SessionsService.secondFactor).
 */
export interface SecondFactorStrategy<Input> {
  readonly method: SecondFactorMethod;
  /** RFC 8176 values this method adds to the session's `amr` (besides `pwd` and `mfa`). */
  readonly amr: readonly Amr[];
  /** Whether the account can sign in with this method now. */
  /** `tx`: answer from inside an audited change (it sees that change's own writes). */
  isAvailable(accountId: string, tx?: EntityManager): Promise<boolean>;
  /** Whether this method makes the account "have a factor" (recovery codes alone do not). */
  readonly countsAsFactor: boolean;
  /**
   * What `verify` reads of the account before it checks the input, when the second step can read it
   * in the attempt claim's statement instead of a round trip of its own (see `ClaimRead`).
   */
  readonly claimRead?: ClaimRead;
  /**
   * Checks the input (reads and crypto on the strategy's own connections), then consumes it
   * (replay guard, single use) through `spend`, and only there: every success must pass its
   * conditional write to `spend`, which runs it in the sign-in's transaction right after spending
   * the pending token, and answers false when the write found nothing to take. `read`: the value of
   * `claimRead` when the claim read it (else the strategy reads for itself).
   */
  verify(accountId: string, input: Input, spend: SpendWith, read?: unknown): Promise<SecondFactorOutcome>;
}

/**
 * A read a strategy's `verify` needs, done by the statement that claims the attempt (one round trip
 * instead of two on every second step): `sql` is a scalar subquery over the claimed account's
 * `claimed.id` (e.g. a json_agg of its factors), read in the claim's snapshot — after the attempt
 * is counted, as the strategy's own read was — and only when an attempt was claimed.
 */
export interface ClaimRead {
  /** Names the combined prepared statement (`account.claim_attempt+<name>`). */
  readonly name: string;
  readonly sql: string;
}

/**
 * Runs a strategy's consuming write (`true` = it took the code/step/counter) in one transaction
 * with the spending of the pending token, which comes first, and the opening of the session it
 * buys, which comes last; false when the write took nothing (then the token stays unspent and no
 * session opens). Nothing else may run inside: the write gets the transaction. `grant.amr`: what
 * this use of the factor proved beyond its type (`user` for a key that verified its user).
 */
export type SpendWith = (write: (tx: PreparedScope) => Promise<boolean>, grant?: { amr?: readonly Amr[]; factorId?: string }) => Promise<boolean>;

export const SECOND_FACTOR_STRATEGIES = Symbol('SECOND_FACTOR_STRATEGIES');
