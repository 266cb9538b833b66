import { HttpStatus } from '@nestjs/common';
import { apiErrorsFor, DomainError, SHARED_ERROR_STATUS } from '@keyhaven/errors';

/** Every code auth-service answers with, and its status. Exhaustive: a code without a row does not compile. */
export const AUTH_ERROR_STATUS = {
  ...SHARED_ERROR_STATUS,
  email_taken: HttpStatus.CONFLICT,
  weak_password: HttpStatus.BAD_REQUEST,
  signup_closed: HttpStatus.FORBIDDEN,
  invalid_credentials: HttpStatus.UNAUTHORIZED,
  invalid_code: HttpStatus.UNAUTHORIZED,
  code_already_used: HttpStatus.UNAUTHORIZED,
  too_many_attempts: HttpStatus.TOO_MANY_REQUESTS,
  step_up_required: HttpStatus.FORBIDDEN,
  password_required: HttpStatus.FORBIDDEN,
  enrollment_required: HttpStatus.FORBIDDEN,
  wrong_token_use: HttpStatus.FORBIDDEN,
  factor_not_found: HttpStatus.NOT_FOUND,
  factor_already_confirmed: HttpStatus.CONFLICT,
  factor_name_taken: HttpStatus.CONFLICT,
  no_confirmed_factor: HttpStatus.CONFLICT,
  account_not_found: HttpStatus.NOT_FOUND,
  // GDPR: one export per hour; a deletion already asked for; the last admin stays; a link that does not verify.
  too_many_exports: HttpStatus.TOO_MANY_REQUESTS,
  deletion_already_scheduled: HttpStatus.CONFLICT,
  deletion_scheduled: HttpStatus.FORBIDDEN,
  last_admin: HttpStatus.CONFLICT,
  link_not_found: HttpStatus.NOT_FOUND,
  session_not_found: HttpStatus.NOT_FOUND,
  remembered_device_not_found: HttpStatus.NOT_FOUND,
  // WebAuthn: a failed ceremony is the client's problem (401/400/409), never a 500.
  webauthn_failed: HttpStatus.UNAUTHORIZED,
  challenge_expired: HttpStatus.UNAUTHORIZED,
  challenge_not_found: HttpStatus.UNAUTHORIZED,
  unknown_credential: HttpStatus.UNAUTHORIZED,
  counter_regression: HttpStatus.UNAUTHORIZED,
  credential_already_registered: HttpStatus.CONFLICT,
  authenticator_not_allowed: HttpStatus.BAD_REQUEST,
  // The directory (LDAP/AD).
  account_locked: HttpStatus.FORBIDDEN,
  directory_unavailable: HttpStatus.SERVICE_UNAVAILABLE,
  directory_link_conflict: HttpStatus.CONFLICT,
  directory_not_configured: HttpStatus.NOT_FOUND,
  directory_sync_running: HttpStatus.CONFLICT,
  directory_run_not_found: HttpStatus.NOT_FOUND,
  password_managed_by_directory: HttpStatus.CONFLICT,
} as const satisfies Record<string, HttpStatus>;

export type AuthErrorCode = keyof typeof AUTH_ERROR_STATUS;

export class AuthError extends DomainError<AuthErrorCode> {}

/** Documents a route's error answers from this table: `@ApiErrors('invalid_code', 'too_many_attempts')`. */
export const ApiErrors = apiErrorsFor(AUTH_ERROR_STATUS);
