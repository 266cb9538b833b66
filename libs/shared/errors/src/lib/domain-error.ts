/**
 * An error the API answers on purpose. Its `code` is stable (clients switch on it); the
 * HTTP status comes from the owning service's code → status table, never from here.
 */
export class DomainError<Code extends string = string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
    readonly details?: unknown,
    /** Extra response headers, e.g. `Retry-After` on a rate limit. */
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

/** The uniform error body every Keyhaven endpoint answers with. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}
