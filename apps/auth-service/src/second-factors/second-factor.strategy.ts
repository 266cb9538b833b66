import type { Amr } from '../sessions/token-claims';

/** The method names clients see in the sign-in answer's `methods`. */
export type SecondFactorMethod = 'totp' | 'webauthn' | 'recovery_code';

export type SecondFactorOutcome =
  | { ok: true; factorId?: string; details?: Record<string, unknown> }
  | { ok: false; reason: 'invalid_code' | 'code_already_used'; factorId?: string };

/**
 * One kind of second factor. TOTP, recovery codes (and WebAuthn, next) implement it, so they
 * share one verify path: one failure counter, one lock, one audit trail (SecondFactorVerifier).
 */
export interface SecondFactorStrategy<Input> {
  readonly method: SecondFactorMethod;
  /** RFC 8176 values this method adds to the session's `amr` (besides `pwd` and `mfa`). */
  readonly amr: readonly Amr[];
  /** Whether the account can sign in with this method now. */
  isAvailable(accountId: string): Promise<boolean>;
  /** Whether this method makes the account "have a factor" (recovery codes alone do not). */
  readonly countsAsFactor: boolean;
  /** Checks the input; consuming it (replay guard, single use) is a conditional write inside. */
  verify(accountId: string, input: Input): Promise<SecondFactorOutcome>;
}

export const SECOND_FACTOR_STRATEGIES = Symbol('SECOND_FACTOR_STRATEGIES');
