import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentUser } from '../sessions/guards/auth.guards';
import type { TokenClaims } from '../sessions/token-claims';
import { SecurityEventsService } from './security-events.service';

@ApiTags('security events')
@Controller('v1/me/security-events')
export class SecurityEventsController {
  constructor(private readonly events: SecurityEventsService) {}

  @Get()
  @Authenticated()
  @ApiOkResponse({ description: 'The caller’s own security events, newest first (at most 100).' })
  list(@CurrentUser() user: TokenClaims) {
    return this.events.listFor(user.sub);
  }
}
