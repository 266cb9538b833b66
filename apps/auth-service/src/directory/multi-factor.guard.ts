import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { AuthError } from '../app/auth-errors';
import type { TokenClaims } from '../sessions/token-claims';

/** Directory administration locks people out: it needs a multi-factor session (aal 2). Runs after the bearer guards. */
@Injectable()
export class MultiFactorGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const claims = context.switchToHttp().getRequest<{ user?: TokenClaims }>().user;
    if (!claims || claims.aal < 2)
      throw new AuthError('step_up_required', 'Sign in with your second factor: directory administration needs a multi-factor session.', { requiredAal: 2 });
    return true;
  }
}
