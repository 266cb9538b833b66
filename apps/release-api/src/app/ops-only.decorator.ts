import { applyDecorators, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { AccessTokenGuard, AuthenticatedUser, RequiresAal, Roles } from '@keyhaven/auth-guard';
import type { Actor } from './actor';

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
    ApiUnauthorizedResponse({ description: '`invalid_token`' }),
    ApiForbiddenResponse({ description: '`forbidden`: the token lacks the role ops; `step_up_required`: a password-only (aal 1) session' }),
  );

export const actorOf = (user: AuthenticatedUser): Actor => ({ sub: user.sub, email: user.email });
