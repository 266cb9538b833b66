import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Clock } from '@keyhaven/config';
import { AUTH_CONFIG, AuthConfig } from '../config/auth.config';
import type { Es256JwtSigner } from '../signing-keys/es256-jwt';
import { SigningKeysService } from '../signing-keys/signing-keys.service';
import { Amr, TOKEN_AUDIENCE, TokenUse } from './token-claims';

export interface TokenSubject {
  id: string;
  email: string;
  roles: string[];
}

/** What a token asserts about the sign-in (and, with `sid`, the session it belongs to). */
export interface TokenGrant {
  use: TokenUse;
  aal: 1 | 2;
  amr: readonly Amr[];
  authTime: Date;
  sid?: string;
}

export interface IssuedToken {
  accessToken: string;
  tokenType: 'Bearer';
  /** Seconds. */
  expiresIn: number;
}

@Injectable()
export class TokenService {
  constructor(
    private readonly keys: SigningKeysService,
    private readonly clock: Clock,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
  ) {}

  async issue(subject: TokenSubject, grant: TokenGrant): Promise<IssuedToken> {
    return this.issueNow(subject, grant) ?? this.signWith((await this.keys.activeKey()).signer, subject, grant);
  }

  /**
   * The token at once, when the active signing key is loaded and fresh (nearly always): no promise
   * on the refresh path, where every one costs an async-hooks round on Node 20. Undefined when the
   * key must be (re)read first — then `issue`.
   */
  issueNow(subject: TokenSubject, grant: TokenGrant): IssuedToken | undefined {
    const fresh = this.keys.activeKeyIfFresh();
    return fresh && this.signWith(fresh.signer, subject, grant);
  }

  private signWith(signer: Es256JwtSigner, subject: TokenSubject, grant: TokenGrant): IssuedToken {
    // The pending token only bridges password and second factor: minutes, not a session.
    const ttlMs = grant.use === 'mfa_pending' ? this.config.pendingTokenTtlMs : this.config.accessTokenTtlMs;
    const now = Math.floor(this.clock.nowMs() / 1000);
    const expiresIn = Math.floor(ttlMs / 1000);
    // Signed synchronously on this thread (one ECDSA signature, ~40 µs): jose's asynchronous sign
    // hands each signature to libuv's thread pool and back, which cost more than the signature
    // itself on the refresh and sign-in paths (measured: 0.2 ms of CPU per refresh); and without
    // jsonwebtoken's per-call validation (Es256JwtSigner). Every claim is set here, so the
    // service's Clock is the one time source; the header is { alg: ES256, typ: JWT, kid }.
    const accessToken = signer.sign({
      sub: subject.id,
      email: subject.email,
      roles: subject.roles,
      aal: grant.aal,
      amr: grant.amr,
      auth_time: Math.floor(grant.authTime.getTime() / 1000),
      token_use: grant.use,
      // The session this token belongs to (absent on a pending token): revoking it stops the token.
      ...(grant.sid ? { sid: grant.sid } : {}),
      iss: this.config.issuer,
      aud: TOKEN_AUDIENCE,
      // A unique id per token: a pending token is spent by recording its jti (ConsumedToken).
      jti: randomUUID(),
      iat: now,
      exp: now + expiresIn,
    });
    return { accessToken, tokenType: 'Bearer', expiresIn };
  }
}
