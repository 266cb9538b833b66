import { applyDecorators, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { AccessTokenGuard, AuthenticatedUser, Roles } from '@keyhaven/auth-guard';
import type { Actor } from '../catalog/catalog.repository';

/** An ops route: an auth-service access token with the role `ops` (401 / 403 otherwise). */
export const OpsOnly = () =>
  applyDecorators(
    UseGuards(AccessTokenGuard),
    Roles('ops'),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: '`invalid_token`' }),
    ApiForbiddenResponse({ description: '`forbidden`: the token lacks the role ops' }),
  );

export const actorOf = (user: AuthenticatedUser): Actor => ({ sub: user.sub, email: user.email });
