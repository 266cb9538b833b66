import { Controller, Get, Header, Inject, Injectable } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { SignJWT } from 'jose';
import { EntityManager } from '@mikro-orm/postgresql';
import { Clock } from '@keyhaven/config';
import { AUTH_CONFIG, AuthConfig } from '../config/auth.config';
import { SigningKeysService } from '../signing-keys/signing-keys.service';
import { SessionStore } from './session.store';
import { TOKEN_AUDIENCE } from './token-claims';

/**
 * How long a cache (the client's, a CDN) may keep the list. Resource servers subtract it from
 * their AUTH_REVOCATION_MAX_DELAY when they judge a list fresh, so it must stay small.
 */
export const REVOCATION_LIST_MAX_AGE_SECONDS = 5;

/** The `token_use` of the list: never an access token (both guards refuse it as one). */
export const REVOCATION_LIST_USE = 'revocation_list';

/**
 * The signed revocation list other services poll (`libs/shared/auth-guard`): the ids of sessions
 * revoked while their access tokens may still be alive — the access-token lifetime plus a
 * minute of clock skew — so it stays short (revocations of the last quarter of an hour). Signed
 * like the tokens (ES256, a key of the JWKS), so a resource server trusts it exactly as far as
 * it trusts the tokens, wherever it was cached.
 */
@Injectable()
export class RevocationListService {
  constructor(
    private readonly store: SessionStore,
    private readonly keys: SigningKeysService,
    private readonly clock: Clock,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    private readonly em: EntityManager,
  ) {}

  async signed(): Promise<string> {
    const now = this.clock.now();
    const coveredMs = this.config.accessTokenTtlMs + 60_000;
    const sids = await this.store.revokedSince(this.em.fork(), new Date(now.getTime() - coveredMs));
    const { kid, privateKey } = await this.keys.activeKey();
    const iat = Math.floor(now.getTime() / 1000);
    return new SignJWT({ token_use: REVOCATION_LIST_USE, sids, covers: Math.floor(coveredMs / 1000) })
      .setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' })
      .setIssuer(this.config.issuer)
      .setAudience(TOKEN_AUDIENCE)
      .setIssuedAt(iat)
      .setExpirationTime(iat + 60)
      .sign(privateKey);
  }
}

@ApiTags('sessions')
@Controller('v1/sessions')
export class RevocationListController {
  constructor(private readonly list: RevocationListService) {}

  @Get('revoked')
  @Header('Content-Type', 'application/jwt')
  @Header('Cache-Control', `public, max-age=${REVOCATION_LIST_MAX_AGE_SECONDS}`)
  @ApiOkResponse({
    description:
      'A JWT (ES256, key from the JWKS, token_use "revocation_list") whose `sids` are the sessions revoked while their access tokens may still be valid. Resource servers poll it (libs/shared/auth-guard) and refuse those sessions within AUTH_REVOCATION_MAX_DELAY. Public: session ids are random and say nothing about their owners.',
  })
  revoked(): Promise<string> {
    return this.list.signed();
  }
}
