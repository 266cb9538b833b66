import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import { DomainError } from '@keyhaven/errors';
import type { Clock } from '@keyhaven/config';
import { RevocationList, type RevocationOptions } from './revocation-list';

/** What a resource server needs to trust auth-service tokens. */
export interface AuthGuardOptions {
  /** auth-service's `GET /.well-known/jwks.json`. */
  jwksUrl: string;
  /** The `iss` auth-service writes (AUTH_ISSUER). */
  issuer: string;
  /** The `aud` every Keyhaven access token carries. */
  audience?: string;
  /** How long fetched keys are trusted before they are refetched (ms); default 10 minutes. */
  cacheMaxAgeMs?: number;
  /** The least time between two refetches caused by an unknown `kid` (ms); default 30 s. */
  cooldownMs?: number;
  /** Tolerated clock difference between the services (s); default 5. */
  clockToleranceSeconds?: number;
  /**
   * The longest lifetime (`exp − iat`, seconds) a token may claim; longer ones are refused, so a
   * token minted with a leaked key cannot last a year. Default 15 minutes (auth-service's default
   * AUTH_ACCESS_TOKEN_TTL).
   */
  maxTokenLifetimeSeconds?: number;
  /**
   * Revoked sessions (see {@link RevocationList}): a token naming a session (`sid`) that
   * auth-service revoked is refused within `maxDelayMs`. On by default; polling starts with the
   * first token that names a session.
   */
  revocation?: RevocationOptions;
}

/** The caller as the token describes it. */
export interface AuthenticatedUser {
  sub: string;
  email: string | undefined;
  roles: string[];
  aal: number | undefined;
  amr: string[];
  /** The auth-service session the token belongs to. */
  sid: string | undefined;
}

export const KEYHAVEN_AUDIENCE = 'keyhaven';
export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 15 * 60;
export const AUTH_GUARD_OPTIONS = Symbol('AUTH_GUARD_OPTIONS');

/** RFC 6750 §3: tell the client which scheme and what went wrong. */
const challenge = (description: string) => ({
  // Header values must be visible ASCII without quotes (RFC 6750 §3 error_description).
  'WWW-Authenticate': `Bearer error="invalid_token", error_description="${description.replace(/[^\x20-\x7e]|["\\]/g, '')}"`,
});

export function invalidToken(message: string): DomainError<'invalid_token'> {
  return new DomainError('invalid_token', message, undefined, challenge(message));
}

/**
 * Verifies auth-service access tokens against its JWKS. The key set is fetched lazily,
 * cached, and refetched when a token names a `kid` it does not know (key rotation), at most
 * once per cooldown so a flood of forged kids cannot hammer auth-service.
 */
export class TokenVerifier {
  private readonly keys: ReturnType<typeof createRemoteJWKSet>;
  private readonly audience: string;
  readonly revocations: RevocationList;

  constructor(
    private readonly options: AuthGuardOptions,
    private readonly clock: Clock,
  ) {
    this.audience = options.audience ?? KEYHAVEN_AUDIENCE;
    this.keys = createRemoteJWKSet(new URL(options.jwksUrl), {
      cacheMaxAge: options.cacheMaxAgeMs ?? 10 * 60_000,
      cooldownDuration: options.cooldownMs ?? 30_000,
      timeoutDuration: 5_000,
    });
    this.revocations = new RevocationList({ ...options.revocation, jwksUrl: options.jwksUrl }, this.keys, { issuer: options.issuer, audience: this.audience });
  }

  /** Stops polling the revocation list (application shutdown). */
  close(): void {
    this.revocations.stop();
  }

  async verify(token: string): Promise<AuthenticatedUser> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        issuer: this.options.issuer,
        audience: this.audience,
        // auth-service signs ES256 only; pinning it refuses `alg: none` and algorithm confusion.
        algorithms: ['ES256'],
        currentDate: this.clock.now(),
        clockTolerance: this.options.clockToleranceSeconds ?? 5,
        requiredClaims: ['sub', 'exp', 'iat'],
      }));
    } catch (error) {
      throw this.translate(error);
    }
    // mfa_pending and enrollment tokens open only auth-service's own next step, never a resource.
    if (payload['token_use'] !== 'access') throw invalidToken('This is not an access token.');
    const maxLifetime = this.options.maxTokenLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS;
    if (typeof payload.exp !== 'number' || typeof payload.iat !== 'number' || payload.exp - payload.iat > maxLifetime) {
      throw invalidToken('The token lives longer than tokens are allowed to here.');
    }
    const sid = typeof payload['sid'] === 'string' ? payload['sid'] : undefined;
    if (sid !== undefined) {
      this.revocations.start();
      if (await this.revocations.isRevoked(sid)) throw invalidToken('The session of this token has been signed out; sign in again.');
    }
    const roles = payload['roles'];
    const amr = payload['amr'];
    return {
      sid,
      sub: String(payload.sub),
      email: typeof payload['email'] === 'string' ? payload['email'] : undefined,
      roles: Array.isArray(roles) ? roles.filter((role): role is string => typeof role === 'string') : [],
      aal: typeof payload['aal'] === 'number' ? payload['aal'] : undefined,
      amr: Array.isArray(amr) ? amr.filter((value): value is string => typeof value === 'string') : [],
    };
  }

  private translate(error: unknown): DomainError {
    if (error instanceof errors.JWTExpired) return invalidToken('The token has expired; log in again.');
    if (error instanceof errors.JWTClaimValidationFailed) {
      return invalidToken(`The token is not accepted here (claim "${error.claim}" ${error.reason}).`);
    }
    if (error instanceof errors.JWKSNoMatchingKey) return invalidToken('The token was not signed by a known auth-service key.');
    if (error instanceof errors.JWSSignatureVerificationFailed) return invalidToken('The token signature is not valid.');
    if (error instanceof errors.JOSEAlgNotAllowed) return invalidToken('The token is signed with an algorithm that is not accepted.');
    if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || isNetworkError(error)) {
      // We cannot tell whether the token is good: say so rather than blame the caller.
      return new DomainError('service_unavailable', 'The token could not be verified: auth-service keys are unreachable.', undefined, {
        'Retry-After': '5',
      });
    }
    if (error instanceof errors.JOSEError) return invalidToken('The token is malformed.');
    if (error instanceof TypeError) return invalidToken('The token is malformed.');
    return invalidToken('The token could not be verified.');
  }
}

function isNetworkError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code ?? (error.cause as NodeJS.ErrnoException | undefined)?.code;
  return ['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EAI_AGAIN'].includes(code ?? '') || error.name === 'AbortError';
}
