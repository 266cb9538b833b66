import { Controller, Get, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { NoStore } from '../common/no-store';
import { Client, ClientInfo } from '../common/request-context';
import { MeFactorsService } from '../factors/me-factors.service';
import { Authenticated, CurrentUser, StepUp } from '../sessions/guards/auth.guards';
import type { TokenClaims } from '../sessions/token-claims';
import { RecoveryCodesService } from './recovery-codes.service';

class RecoveryCodesDto {
  @ApiProperty({ type: [String], example: ['7KQD-M3XR-…'] }) recoveryCodes!: string[];
}

class RemainingDto {
  @ApiProperty() remaining!: number;
}

@ApiTags('recovery codes')
@Controller('v1/me/recovery-codes')
export class RecoveryCodesController {
  constructor(
    private readonly codes: RecoveryCodesService,
    private readonly factors: MeFactorsService,
  ) {}

  @Post()
  @NoStore()
  @Authenticated()
  @StepUp()
  @ApiCreatedResponse({ type: RecoveryCodesDto, description: 'a new set of ten; the old set stops working; the owner is mailed' })
  regenerate(@CurrentUser() user: TokenClaims, @Client() client: ClientInfo) {
    return this.factors.regenerateRecoveryCodes(user.sub, client);
  }

  @Get()
  @Authenticated()
  @ApiOkResponse({ type: RemainingDto })
  remaining(@CurrentUser() user: TokenClaims) {
    return this.codes.remaining(user.sub);
  }
}
