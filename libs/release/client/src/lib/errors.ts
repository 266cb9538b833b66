/**
 * Every way a check can fail, as a stable code an installation can branch on (show a banner,
 * log a security event, back off). Signature, key, expiry and sequence failures mean the answer
 * was NOT trusted: the last good answer stays in place.
 */
export const RELEASE_CLIENT_ERROR_CODES = [
  /** The constructor options are unusable (no pinned key, a key that is not Ed25519, …). */
  'invalid_options',
  /** The server could not be reached, or did not answer within the timeout. */
  'network',
  /** 429: the server asked us to slow down; `retryAt` says when to come back. */
  'rate_limited',
  /** 503: the server is unavailable for now; `retryAt` says when to come back (if it said). */
  'unavailable',
  /** A check was asked for before the `Retry-After` of an earlier answer had passed. */
  'backing_off',
  /** Any other non-2xx/304 status (e.g. 400 `invalid_version`); `apiCode` holds the API's code. */
  'http_error',
  /** No `Keyhaven-Signature` header. */
  'signature_missing',
  /** The header is not `keyid="…", sig="…"` with a 64-byte base64url signature. */
  'signature_malformed',
  /** The answer was signed by a key id that is not pinned. */
  'unknown_key',
  /** The Ed25519 signature does not match the body bytes: tampered in transit or forged. */
  'bad_signature',
  /** Signed, but not a check answer we understand (not JSON, fields missing or of the wrong type). */
  'malformed_answer',
  /** Signed, but answers another version than the one we asked about (a swapped answer). */
  'mismatched_answer',
  /** Signed, but its `expiresAt` has passed: a stale answer replayed by a cache or an attacker. */
  'expired',
  /** Signed, but its `sequence` is lower than one already seen: a rollback to an older catalog. */
  'sequence_rollback',
  /** The state file exists but cannot be read or parsed; refuse rather than forget the highest sequence. */
  'state_unreadable',
  /** The state file could not be written. */
  'state_unwritable',
] as const;

export type ReleaseClientErrorCode = (typeof RELEASE_CLIENT_ERROR_CODES)[number];

export interface ReleaseClientErrorDetails {
  /** HTTP status of the answer, when there was one. */
  status?: number;
  /** The `error.code` of an API error body (`{error:{code,message}}`). */
  apiCode?: string;
  /** When the server said to come back (from `Retry-After`). */
  retryAt?: Date;
  /** The key id named by the signature header. */
  keyId?: string;
  /** The sequence of the rejected answer and the highest one seen before. */
  sequence?: number;
  highestSequence?: number;
  /** The `expiresAt` of an expired answer. */
  expiresAt?: Date;
  cause?: unknown;
}

export class ReleaseClientError extends Error {
  readonly status?: number;
  readonly apiCode?: string;
  readonly retryAt?: Date;
  readonly keyId?: string;
  readonly sequence?: number;
  readonly highestSequence?: number;
  readonly expiresAt?: Date;

  constructor(
    readonly code: ReleaseClientErrorCode,
    message: string,
    details: ReleaseClientErrorDetails = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'ReleaseClientError';
    this.status = details.status;
    this.apiCode = details.apiCode;
    this.retryAt = details.retryAt;
    this.keyId = details.keyId;
    this.sequence = details.sequence;
    this.highestSequence = details.highestSequence;
    this.expiresAt = details.expiresAt;
  }

  /** True when the answer arrived but could not be trusted (as opposed to not arriving). */
  get isTrustFailure(): boolean {
    return (
      this.code === 'signature_missing' ||
      this.code === 'signature_malformed' ||
      this.code === 'unknown_key' ||
      this.code === 'bad_signature' ||
      this.code === 'mismatched_answer' ||
      this.code === 'expired' ||
      this.code === 'sequence_rollback'
    );
  }
}
