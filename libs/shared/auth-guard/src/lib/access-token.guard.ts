import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainError } from '@keyhaven/errors';
import { MIN_AAL_KEY, ROLES_KEY, USER_KEY } from './decorators';
import { invalidToken, TokenVerifier } from './token-verifier';

/**
 * Admits a request only with a valid auth-service access token (`Authorization: Bearer …`)
 * and, when the route names roles with `@Roles(...)`, one of them, and with `@RequiresAal(2)` a
 * multi-factor session. 401 `invalid_token` for anything wrong with the token, 403 `forbidden`
 * for a good token without the role, 403 `step_up_required` for a password-only session.
 */
@Injectable()
export class AccessTokenGuard implements CanActivate {
  constructor(
    @Inject(TokenVerifier) private readonly verifier: TokenVerifier,
    @Inject(Reflector) private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string | string[] | undefined> } & Record<string, unknown>>();
    const header = request.headers['authorization'];
    const match = typeof header === 'string' ? /^Bearer\s+([A-Za-z0-9._~+/-]+=*)\s*$/i.exec(header) : null;
    if (!match?.[1]) throw invalidToken('This needs a bearer token from auth-service (Authorization: Bearer …).');
    const user = await this.verifier.verify(match[1]);
    const roles = this.reflector.getAllAndOverride<string[] | undefined>(ROLES_KEY, [context.getHandler(), context.getClass()]);
    if (roles && roles.length > 0 && !roles.some((role) => user.roles.includes(role))) {
      throw new DomainError('forbidden', `This needs the role ${roles.join(' or ')}.`);
    }
    const minAal = this.reflector.getAllAndOverride<number | undefined>(MIN_AAL_KEY, [context.getHandler(), context.getClass()]);
    if (minAal !== undefined && (user.aal ?? 0) < minAal) {
      throw new DomainError(
        'step_up_required',
        'This needs a session signed in with a second factor (aal 2): sign in again with your authenticator or security key.',
        {
          requiredAal: minAal,
        },
      );
    }
    request[USER_KEY] = user;
    return true;
  }
}
