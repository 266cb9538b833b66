import type { Account } from '../accounts/entities/account.entity';
import { AuthError } from '../app/auth-errors';
import type { SecondFactorMethod } from '../second-factors/second-factor.strategy';
import type { SessionTokens } from './session-issuer';
import type { IssuedToken } from './token.service';

/** What every sign-in step answers (SessionsService's first step, SecondStepService's second). */
export interface SessionAnswer extends IssuedToken {
  /** With every answer that opens a session (not with a pending token). */
  refreshToken?: string;
  refreshExpiresIn?: number;
  aal: 1 | 2;
  mfaRequired: boolean;
  methods: SecondFactorMethod[];
  enrollmentRequired: boolean;
  /** With enrollmentRequired during the grace period: when full sessions stop. */
  enrollmentDeadline?: string;
  recoveryCodesRemaining?: number;
  warnings?: string[];
}

/**
 * An account whose owner asked for its deletion (`DELETE /v1/me`) is closed until it is erased or
 * the deletion is cancelled with the mailed link: the right credentials open nothing. Said only
 * after the first factor, so it reveals nothing to someone who does not know the password.
 */
export function refuseIfClosing(account: Account): void {
  if (account.erasureScheduledAt) {
    throw new AuthError(
      'deletion_scheduled',
      `This account is scheduled for erasure on ${account.erasureScheduledAt.toISOString()}; the mail about it has a link to cancel.`,
      {
        erasureScheduledAt: account.erasureScheduledAt.toISOString(),
      },
    );
  }
}

/** The token fields of a sign-in or refresh answer. */
export function answerTokens(session: SessionTokens): IssuedToken & { refreshToken: string; refreshExpiresIn: number } {
  return {
    accessToken: session.accessToken,
    tokenType: session.tokenType,
    expiresIn: session.expiresIn,
    refreshToken: session.refreshToken,
    refreshExpiresIn: session.refreshExpiresIn,
  };
}
