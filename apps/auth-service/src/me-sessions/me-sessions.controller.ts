import { Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, UseGuards } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { ApiNoContentResponse, ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Client, ClientInfo } from '../common/request-context';
import { NoStore } from '../common/no-store';
import { Authenticated, CurrentUser } from '../sessions/guards/auth.guards';
import type { TokenClaims } from '../sessions/token-claims';
import { MeSessionsService } from './me-sessions.service';
import { ApiErrors } from '../app/auth-errors';

class SessionViewDto {
  @ApiProperty() id!: string;
  @ApiProperty({ description: 'the session of the token that asks' }) current!: boolean;
  @ApiProperty({ example: 'Firefox on Linux' }) device!: string;
  @ApiProperty({ type: String, example: '203.0.113.0/24', nullable: true }) network!: string | null;
  @ApiProperty({ enum: [1, 2] }) aal!: number;
  @ApiProperty({ type: [String], example: ['pwd', 'otp', 'mfa'] }) amr!: string[];
  @ApiProperty() signedInAt!: string;
  @ApiProperty() lastUsedAt!: string;
  @ApiProperty() expiresAt!: string;
  @ApiProperty({ type: String, nullable: true, description: 'the remembered device that skipped the second step' }) rememberedDeviceId!: string | null;
}

class RememberedDeviceViewDto {
  @ApiProperty() id!: string;
  @ApiProperty({ example: 'Chrome on macOS' }) device!: string;
  @ApiProperty({ type: String, nullable: true }) network!: string | null;
  @ApiProperty() rememberedAt!: string;
  @ApiProperty({ type: String, nullable: true }) lastUsedAt!: string | null;
  @ApiProperty() expiresAt!: string;
}

class SessionListDto {
  @ApiProperty({ type: [SessionViewDto] }) sessions!: SessionViewDto[];
  @ApiProperty({ type: [RememberedDeviceViewDto] }) rememberedDevices!: RememberedDeviceViewDto[];
}

@ApiTags('sessions')
@Controller('v1/me')
// The per-IP limit of the sign-in routes here too: ids of other people's sessions or devices
// cannot be probed (404) at speed.
@UseGuards(ThrottlerGuard)
export class MeSessionsController {
  constructor(private readonly sessions: MeSessionsService) {}

  @Get('sessions')
  @NoStore()
  @Authenticated()
  @ApiOkResponse({ type: SessionListDto, description: 'Open sessions (newest use first, the caller’s marked current) and remembered devices.' })
  list(@CurrentUser() user: TokenClaims) {
    return this.sessions.list(user);
  }

  @Delete('sessions/:id')
  @HttpCode(204)
  @Authenticated()
  @ApiNoContentResponse({ description: 'The session is signed out (its tokens stop at once here, within AUTH_REVOCATION_MAX_DELAY elsewhere).' })
  @ApiErrors({ code: 'session_not_found', when: 'a session that is not yours or has ended' })
  revoke(@CurrentUser() user: TokenClaims, @Param('id', new ParseUUIDPipe()) id: string, @Client() client: ClientInfo): Promise<void> {
    return this.sessions.revoke(user, id, client);
  }

  @Delete('sessions')
  @HttpCode(200)
  @Authenticated()
  @ApiOkResponse({ description: '{revoked}: every session but the caller’s is signed out ("sign out everywhere else").' })
  revokeOthers(@CurrentUser() user: TokenClaims, @Client() client: ClientInfo) {
    return this.sessions.revokeOthers(user, client);
  }

  @Delete('remembered-devices/:id')
  @HttpCode(204)
  @Authenticated()
  @ApiNoContentResponse({ description: 'The device asks for the second factor again at its next sign-in.' })
  @ApiErrors('remembered_device_not_found')
  forgetDevice(@CurrentUser() user: TokenClaims, @Param('id', new ParseUUIDPipe()) id: string, @Client() client: ClientInfo): Promise<void> {
    return this.sessions.forgetDevice(user, id, client);
  }

  @Delete('remembered-devices')
  @HttpCode(200)
  @Authenticated()
  @ApiOkResponse({ description: '{forgotten}: every remembered device asks for the second factor again.' })
  forgetAllDevices(@CurrentUser() user: TokenClaims, @Client() client: ClientInfo) {
    return this.sessions.forgetAllDevices(user, client);
  }
}

@ApiTags('sessions')
@Controller('v1/sessions')
export class SignOutController {
  constructor(private readonly sessions: MeSessionsService) {}

  @Post('sign-out')
  @HttpCode(204)
  @Authenticated('access', 'enrollment')
  @ApiNoContentResponse({ description: 'Ends the session of the bearer token: its access and refresh tokens stop working.' })
  signOut(@CurrentUser() user: TokenClaims, @Client() client: ClientInfo): Promise<void> {
    return this.sessions.signOut(user, client);
  }
}
