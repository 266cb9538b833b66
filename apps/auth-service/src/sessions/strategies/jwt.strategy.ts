import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import type { KeyObject } from 'node:crypto';
import { decodeProtectedHeader } from 'jose';
import { EntityManager } from '@mikro-orm/postgresql';
import { Clock } from '@keyhaven/config';
import { AUTH_CONFIG, AuthConfig } from '../../config/auth.config';
import { AuthError } from '../../app/auth-errors';
import { SigningKeysService } from '../../signing-keys/signing-keys.service';
import { SessionStore } from '../session.store';
import { TOKEN_AUDIENCE, TokenClaims, tokenUseOf } from '../token-claims';

/**
 * Bearer tokens: ES256 only (no `alg` confusion), the key picked by `kid` among ours (a key
 * retired longer than a token lives is no longer ours), issuer and audience checked by
 * passport-jwt; expiry checked against the injected Clock, and a lifetime (`exp − iat`) longer
 * than any this service issues is refused — a token minted with a leaked key cannot last a year.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    private readonly keys: SigningKeysService,
    private readonly clock: Clock,
    private readonly sessions: SessionStore,
    @Inject(AUTH_CONFIG) config: AuthConfig,
    private readonly em: EntityManager,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      algorithms: ['ES256'],
      issuer: config.issuer,
      audience: TOKEN_AUDIENCE,
      ignoreExpiration: true,
      // The key object itself (jsonwebtoken 9 takes one): exporting it to PEM for jsonwebtoken to
      // parse again cost two key conversions per request.
      secretOrKeyProvider: (_request: unknown, rawJwt: unknown, done: (err: unknown, key?: string) => void) => {
        let kid: string | undefined;
        try {
          kid = decodeProtectedHeader(String(rawJwt)).kid;
        } catch {
          done(new AuthError('invalid_token', 'The bearer token is not a JWT.'));
          return;
        }
        if (!kid) {
          done(new AuthError('invalid_token', 'The bearer token names no key.'));
          return;
        }
        keys.publicKey(kid).then(
          (key) => (key ? done(null, asVerificationKey(key)) : done(new AuthError('invalid_token', 'The bearer token was signed by an unknown key.'))),
          (error: unknown) => done(error),
        );
      },
    });
  }

  async validate(claims: TokenClaims): Promise<TokenClaims> {
    if (typeof claims.exp !== 'number' || claims.exp * 1000 <= this.clock.nowMs()) {
      throw new AuthError('invalid_token', 'The bearer token has expired.');
    }
    if (typeof claims.iat !== 'number' || (claims.exp - claims.iat) * 1000 > this.keys.maxTokenLifetimeMs()) {
      throw new AuthError('invalid_token', 'The bearer token lives longer than tokens of this service may.');
    }
    const use = tokenUseOf(claims.token_use);
    if (!use) throw new AuthError('invalid_token', 'Unknown token use.');
    // A session's tokens stop working here the moment it is revoked, on every replica: one
    // primary-key probe per request (other services learn it from the revocation list within
    // AUTH_REVOCATION_MAX_DELAY). A pending token belongs to no session yet. The probe runs on the
    // injected EntityManager itself rather than a fork: it runs per request, and runPrepared only
    // reads its (absent) transaction context.
    if (use !== 'mfa_pending') {
      if (typeof claims.sid !== 'string' || !(await this.sessions.isOpen(this.em, claims.sid, claims.sub, this.clock.now()))) {
        throw new AuthError('invalid_token', 'The session of this token has ended; sign in again.');
      }
    }
    // Guards and handlers see one spelling, also for a token issued before it changed.
    return { ...claims, token_use: use };
  }
}

/** passport-jwt's types say PEM text; the jsonwebtoken 9 it hands the key to takes a KeyObject as is. */
function asVerificationKey(key: KeyObject): string {
  return key as unknown as string;
}
