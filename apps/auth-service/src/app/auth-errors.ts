import { HttpStatus } from '@nestjs/common';
import { DomainError, SHARED_ERROR_STATUS } from '@keyhaven/errors';

/** Every code auth-service answers with, and its status. Exhaustive: a code without a row does not compile. */
export const AUTH_ERROR_STATUS = {
  ...SHARED_ERROR_STATUS,
} as const satisfies Record<string, HttpStatus>;

export type AuthErrorCode = keyof typeof AUTH_ERROR_STATUS;

export class AuthError extends DomainError<AuthErrorCode> {}
