import { Logger } from '@nestjs/common';
import { jwtVerify, type JWTVerifyGetKey } from 'jose';
import { DomainError } from '@keyhaven/errors';

/** How a resource server learns which sessions auth-service has revoked. */
export interface RevocationOptions {
  /** auth-service's `GET /v1/sessions/revoked`; default: beside the JWKS URL. */
  url?: string;
  /**
   * The longest time (ms) a revoked session's access token may still be accepted here
   * (AUTH_REVOCATION_MAX_DELAY, default 30 s). The list is polled every third of it; a token with
   * a session is refused (503) rather than admitted on a list older than this bound allows.
   */
  maxDelayMs?: number;
  /** Monotonic milliseconds (default performance.now); tests move it by hand. */
  monotonicNow?: () => number;
}

export const DEFAULT_REVOCATION_MAX_DELAY_MS = 30_000;
const FETCH_TIMEOUT_MS = 5_000;

/** The URL auth-service serves its list at, relative to its JWKS (`…/.well-known/jwks.json` → `…/v1/sessions/revoked`). */
export function revocationListUrl(jwksUrl: string): string {
  return new URL('../v1/sessions/revoked', jwksUrl).toString();
}

/**
 * The set of revoked session ids, kept fresh by polling auth-service's signed list. The check per
 * request is one `Set.has` while the list is fresh; only when it is not (a failed poll, the first
 * request after boot) does a request wait for a fetch — one fetch shared by every waiting request.
 *
 * The bound, and why it holds: a list answered at time `s` knows every revocation committed
 * before `s − max-age` (auth-service lets caches keep it `max-age` seconds). A token checked at `c`
 * against it is judged with revocations up to `c − (c − s) − max-age`, so the delay is at most
 * `(c − s) + max-age`. The guard accepts a list only while `c − s ≤ maxDelay − max-age` (`s`
 * taken as the moment the fetch started, which is earlier than the answer), and polls every
 * `maxDelay / 3` so that a single failed poll does not already make it stale.
 */
export class RevocationList {
  private readonly logger = new Logger('RevocationList');
  private revoked = new Set<string>();
  /** Monotonic time when the fetch of the current list started; -Infinity before the first. */
  private fetchedAt = Number.NEGATIVE_INFINITY;
  /** Cache max-age the last answer declared (ms). */
  private cacheAgeMs = 0;
  /** The newest list's `iat`: an older list (a replayed or stale cache copy) never replaces it. */
  private issuedAt = 0;
  private inflight: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  readonly maxDelayMs: number;
  readonly url: string;
  private readonly now: () => number;

  constructor(
    options: RevocationOptions & { jwksUrl: string },
    private readonly keys: JWTVerifyGetKey,
    private readonly trust: { issuer: string; audience: string },
  ) {
    this.maxDelayMs = options.maxDelayMs ?? DEFAULT_REVOCATION_MAX_DELAY_MS;
    this.url = options.url ?? revocationListUrl(options.jwksUrl);
    this.now = options.monotonicNow ?? (() => performance.now());
  }

  /** Starts polling (every third of the delay bound); the timer does not keep the process alive. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.refresh(), Math.max(1_000, Math.floor(this.maxDelayMs / 3)));
    this.timer.unref();
    void this.refresh();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Whether the session was revoked; 503 when no list recent enough to honour the bound can be had. */
  async isRevoked(sid: string): Promise<boolean> {
    if (!this.fresh()) {
      await this.refresh();
      if (!this.fresh()) {
        throw new DomainError('service_unavailable', 'The token could not be checked: the revocation list of auth-service is unreachable.', undefined, {
          'Retry-After': '5',
        });
      }
    }
    return this.revoked.has(sid);
  }

  /** How many sessions the current list names (metrics, tests). */
  get size(): number {
    return this.revoked.size;
  }

  private fresh(): boolean {
    return this.now() - this.fetchedAt <= this.maxDelayMs - this.cacheAgeMs;
  }

  /** One fetch at a time; every caller waits for the one under way. Failures keep the old list (and are logged). */
  refresh(): Promise<void> {
    this.inflight ??= this.fetchOnce().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async fetchOnce(): Promise<void> {
    const started = this.now();
    try {
      const response = await fetch(this.url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), headers: { accept: 'application/jwt' } });
      if (!response.ok) throw new Error(`answered ${response.status}`);
      const body = (await response.text()).trim();
      // The list is signed with a token key: verified like a token, and it must say it is a list.
      const { payload } = await jwtVerify(body, this.keys, {
        issuer: this.trust.issuer,
        audience: this.trust.audience,
        algorithms: ['ES256'],
        requiredClaims: ['iat'],
        clockTolerance: 30,
      });
      const sids = payload['sids'];
      if (payload['token_use'] !== 'revocation_list' || !Array.isArray(sids) || !sids.every((sid) => typeof sid === 'string'))
        throw new Error('not a revocation list');
      const iat = Number(payload.iat);
      if (iat < this.issuedAt) throw new Error('older than the list already held');
      this.revoked = new Set(sids as string[]);
      this.issuedAt = iat;
      this.cacheAgeMs = Math.min(maxAgeMs(response.headers.get('cache-control')), this.maxDelayMs / 2);
      this.fetchedAt = started;
    } catch (error) {
      this.logger.warn(`Could not fetch the revocation list from ${this.url}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

function maxAgeMs(cacheControl: string | null): number {
  const match = /(?:^|,)\s*(?:s-)?max-age\s*=\s*(\d{1,6})/i.exec(cacheControl ?? '');
  return match ? Number(match[1]) * 1000 : 0;
}
