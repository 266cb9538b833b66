import { applyDecorators, UseGuards } from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';
import { AccessTokenGuard, AuthenticatedUser, RequiresAal, Roles } from '@keyhaven/auth-guard';
import type { Actor } from './actor';
import { ApiErrors } from './release-errors';

/**
 * An ops route: an auth-service access token with the role `ops`, from a session that passed a
 * second factor (aal 2) — a stolen password alone must not publish a release or rotate a key.
 */
export const OpsOnly = () =>
  applyDecorators(
    UseGuards(AccessTokenGuard),
    Roles('ops'),
    RequiresAal(2),
    ApiBearerAuth(),
    ApiErrors(
      'invalid_token',
      { code: 'forbidden', when: 'the token lacks the role ops' },
      { code: 'step_up_required', when: 'a password-only (aal 1) session' },
    ),
  );

export const actorOf = (user: AuthenticatedUser): Actor => ({ sub: user.sub, email: user.email });
