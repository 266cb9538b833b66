import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentUser } from '../sessions/guards/auth.guards';
import type { TokenClaims } from '../sessions/token-claims';
import { SECURITY_EVENT_TYPES } from './entities/security-event.entity';
import { SecurityEventsService } from './security-events.service';

/** One event of the caller's trail (SecurityEventView), as documented. */
class SecurityEventDto {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: SECURITY_EVENT_TYPES }) type!: string;
  @ApiProperty({ type: String, nullable: true, description: 'who did it when not the account itself (an admin)' }) actorId!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'the client address truncated to /24 (IPv4) or /48 (IPv6)' }) ipPrefix!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true }) details!: Record<string, unknown> | null;
  @ApiProperty() occurredAt!: string;
}

@ApiTags('security events')
@Controller('v1/me/security-events')
export class SecurityEventsController {
  constructor(private readonly events: SecurityEventsService) {}

  @Get()
  @Authenticated()
  @ApiOkResponse({ type: [SecurityEventDto], description: 'The caller’s own security events, newest first (at most 100).' })
  list(@CurrentUser() user: TokenClaims) {
    return this.events.listFor(user.sub);
  }
}
