import { HttpStatus } from '@nestjs/common';
import { apiErrorsFor, DomainError, SHARED_ERROR_STATUS } from '@keyhaven/errors';

/** Every code release-api answers with, and its status. Exhaustive: a code without a row does not compile. */
export const RELEASE_ERROR_STATUS = {
  ...SHARED_ERROR_STATUS,
  invalid_version: HttpStatus.BAD_REQUEST,
  invalid_range: HttpStatus.BAD_REQUEST,
  invalid_cvss: HttpStatus.BAD_REQUEST,
  invalid_osv: HttpStatus.BAD_REQUEST,
  release_not_found: HttpStatus.NOT_FOUND,
  advisory_not_found: HttpStatus.NOT_FOUND,
  release_exists: HttpStatus.CONFLICT,
  advisory_exists: HttpStatus.CONFLICT,
  invalid_window: HttpStatus.BAD_REQUEST,
  notice_too_short: HttpStatus.UNPROCESSABLE_ENTITY,
  emergency_reason_unneeded: HttpStatus.UNPROCESSABLE_ENTITY,
  maintenance_window_not_found: HttpStatus.NOT_FOUND,
  subscription_not_found: HttpStatus.NOT_FOUND,
  webhook_target_forbidden: HttpStatus.UNPROCESSABLE_ENTITY,
  delivery_not_found: HttpStatus.NOT_FOUND,
  window_closed: HttpStatus.CONFLICT,
  delivery_pending: HttpStatus.CONFLICT,
} as const satisfies Record<string, HttpStatus>;

export type ReleaseErrorCode = keyof typeof RELEASE_ERROR_STATUS;

export class ReleaseError extends DomainError<ReleaseErrorCode> {}

/** Documents a route's error answers from this table: `@ApiErrors('release_not_found')`. */
export const ApiErrors = apiErrorsFor(RELEASE_ERROR_STATUS);
