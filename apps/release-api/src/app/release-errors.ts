import { HttpStatus } from '@nestjs/common';
import { DomainError, SHARED_ERROR_STATUS } from '@keyhaven/errors';

/** Every code release-api answers with, and its status. Exhaustive: a code without a row does not compile. */
export const RELEASE_ERROR_STATUS = {
  ...SHARED_ERROR_STATUS,
} as const satisfies Record<string, HttpStatus>;

export type ReleaseErrorCode = keyof typeof RELEASE_ERROR_STATUS;

export class ReleaseError extends DomainError<ReleaseErrorCode> {}
