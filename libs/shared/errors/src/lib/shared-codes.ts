import { HttpStatus } from '@nestjs/common';

/**
 * Codes every service answers with. A service table spreads these and adds its own:
 * `{ ...SHARED_ERROR_STATUS, email_taken: 409 } as const satisfies Record<…, HttpStatus>`.
 */
export const SHARED_ERROR_STATUS = {
  bad_request: HttpStatus.BAD_REQUEST,
  /** A percent-escape or its UTF-8 in the URL does not decode. */
  bad_url: HttpStatus.BAD_REQUEST,
  malformed_json: HttpStatus.BAD_REQUEST,
  validation_failed: HttpStatus.BAD_REQUEST,
  unauthorized: HttpStatus.UNAUTHORIZED,
  invalid_token: HttpStatus.UNAUTHORIZED,
  forbidden: HttpStatus.FORBIDDEN,
  /** A valid token, but a stronger (multi-factor, aal 2) or more recent sign-in is needed. */
  step_up_required: HttpStatus.FORBIDDEN,
  not_found: HttpStatus.NOT_FOUND,
  method_not_allowed: HttpStatus.METHOD_NOT_ALLOWED,
  not_acceptable: HttpStatus.NOT_ACCEPTABLE,
  conflict: HttpStatus.CONFLICT,
  request_timeout: HttpStatus.REQUEST_TIMEOUT,
  payload_too_large: HttpStatus.PAYLOAD_TOO_LARGE,
  uri_too_long: HttpStatus.URI_TOO_LONG,
  unsupported_media_type: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
  too_many_requests: HttpStatus.TOO_MANY_REQUESTS,
  // RFC 6585 section 5; Nest's HttpStatus enum has no member for it.
  headers_too_large: 431 as HttpStatus,
  internal_error: HttpStatus.INTERNAL_SERVER_ERROR,
  service_unavailable: HttpStatus.SERVICE_UNAVAILABLE,
} as const satisfies Record<string, HttpStatus>;

export type SharedErrorCode = keyof typeof SHARED_ERROR_STATUS;

/** The code used when a framework exception carries only a status. */
export const CODE_FOR_STATUS: Readonly<Record<number, SharedErrorCode>> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  408: 'request_timeout',
  409: 'conflict',
  413: 'payload_too_large',
  414: 'uri_too_long',
  415: 'unsupported_media_type',
  429: 'too_many_requests',
  431: 'headers_too_large',
  503: 'service_unavailable',
};
