import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsString, Matches, MaxLength } from 'class-validator';
import { AccountsService } from '../accounts/accounts.service';
import { HasText } from '@keyhaven/errors';
import { Client, ClientInfo } from '../common/request-context';
import { MeFactorsService } from '../factors/me-factors.service';
import { Authenticated, CurrentUser, Roles, StepUp } from '../sessions/guards/auth.guards';
import type { TokenClaims } from '../sessions/token-claims';
import { SigningKeysService } from '../signing-keys/signing-keys.service';
import { AdminSessionsService } from './admin-sessions.service';
import { ApiErrors } from '../app/auth-errors';

class ResetFactorsDto {
  @ApiProperty({ example: 'Lost phone; identity checked by video call (ticket 4711)' })
  @IsString()
  @MaxLength(500)
  @HasText()
  @Matches(/\S{3,}/, { message: 'reason must say why' })
  reason!: string;
}

class FindUsersQuery {
  @ApiProperty({ example: 'ada@example.test', description: 'the exact address (case and surrounding spaces do not matter)' })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsEmail()
  @MaxLength(254)
  email!: string;
}

@ApiTags('admin')
@Controller('v1/admin')
export class AdminController {
  constructor(
    private readonly factors: MeFactorsService,
    private readonly keys: SigningKeysService,
    private readonly accounts: AccountsService,
    private readonly sessions: AdminSessionsService,
  ) {}

  @Get('users')
  @Authenticated()
  @Roles('admin')
  @ApiOkResponse({
    description:
      '{users: [{id, email, roles, createdAt, factors}]} — the account with exactly this email (none or one), with its factors, so an admin can find the id a factor reset needs.',
  })
  async findUsers(@Query() query: FindUsersQuery) {
    const account = await this.accounts.findByEmail(query.email);
    if (!account) return { users: [] };
    const factors = (await this.factors.list(account.id)).map(({ id, type, name, confirmed, lastUsedAt }) => ({ id, type, name, confirmed, lastUsedAt }));
    return { users: [{ id: account.id, email: account.email, roles: account.roles, createdAt: account.createdAt.toISOString(), factors }] };
  }

  @Post('users/:id/sessions/revoke')
  @HttpCode(200)
  @Authenticated()
  @Roles('admin')
  @StepUp()
  @ApiOkResponse({
    description:
      '{revokedSessions, forgottenDevices}: signs the user out everywhere (tokens refused at once here, within AUTH_REVOCATION_MAX_DELAY elsewhere) and forgets their remembered devices; audited with the admin as actor.',
  })
  @ApiErrors('account_not_found')
  revokeSessions(@CurrentUser() admin: TokenClaims, @Param('id', new ParseUUIDPipe()) id: string, @Client() client: ClientInfo) {
    return this.sessions.revokeAll(admin.sub, id, client);
  }

  @Post('users/:id/factors/reset')
  @HttpCode(200)
  @Authenticated()
  @Roles('admin')
  @StepUp()
  @ApiOkResponse({ description: 'Removes every factor and recovery code of the user, lifts a lock; audited with the reason; the user is mailed.' })
  resetFactors(@CurrentUser() admin: TokenClaims, @Param('id', new ParseUUIDPipe()) id: string, @Body() body: ResetFactorsDto, @Client() client: ClientInfo) {
    return this.factors.adminReset(admin.sub, id, body.reason.trim(), client);
  }

  @Post('signing-keys/rotate')
  @HttpCode(200)
  @Authenticated()
  @Roles('admin')
  @StepUp()
  @ApiOkResponse({ description: 'A new token signing key; the old one stays in the JWKS until its tokens expire.' })
  async rotateSigningKey() {
    return { kid: await this.keys.rotate() };
  }
}
