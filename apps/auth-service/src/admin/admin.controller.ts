import { Body, Controller, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsString, Matches, MaxLength } from 'class-validator';
import { HasText } from '@keyhaven/errors';
import { Client, ClientInfo } from '../common/request-context';
import { MeFactorsService } from '../factors/me-factors.service';
import { Authenticated, CurrentUser, Roles, StepUp } from '../sessions/guards/auth.guards';
import type { TokenClaims } from '../sessions/token-claims';
import { SigningKeysService } from '../signing-keys/signing-keys.service';

class ResetFactorsDto {
  @ApiProperty({ example: 'Lost phone; identity checked by video call (ticket 4711)' })
  @IsString()
  @MaxLength(500)
  @HasText()
  @Matches(/\S{3,}/, { message: 'reason must say why' })
  reason!: string;
}

@ApiTags('admin')
@Controller('v1/admin')
export class AdminController {
  constructor(
    private readonly factors: MeFactorsService,
    private readonly keys: SigningKeysService,
  ) {}

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
