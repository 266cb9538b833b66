import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { AuthenticatedUser } from './token-verifier';

export const ROLES_KEY = 'keyhaven:roles';

/** The roles a route needs (any one of them). Used with {@link AccessTokenGuard}. */
export const Roles = (...roles: string[]) => SetMetadata(ROLES_KEY, roles);

export const MIN_AAL_KEY = 'keyhaven:min-aal';

/**
 * The least authentication assurance a route needs: `RequiresAal(2)` admits only sessions that
 * passed a second factor (a stolen password alone opens nothing). 403 `step_up_required` else.
 */
export const RequiresAal = (aal: 1 | 2) => SetMetadata(MIN_AAL_KEY, aal);

/** The request property the guard stores the verified caller in. */
export const USER_KEY = 'keyhavenUser';

/** The verified caller of a guarded route. */
export const CurrentUser = createParamDecorator((_data: unknown, context: ExecutionContext): AuthenticatedUser => {
  const request = context.switchToHttp().getRequest<Record<string, unknown>>();
  return request[USER_KEY] as AuthenticatedUser;
});
