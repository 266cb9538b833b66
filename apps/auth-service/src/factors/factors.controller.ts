import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, UseGuards } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { NoStore } from '../common/no-store';
import { ThrottlerGuard } from '@nestjs/throttler';
import { Client, ClientInfo } from '../common/request-context';
import { Authenticated, CurrentUser, StepUp } from '../sessions/guards/auth.guards';
import type { TokenClaims } from '../sessions/token-claims';
import { WebAuthnRegistrationDto, WebAuthnRegistrationOptionsDto } from '../webauthn/dto/webauthn.dto';
import { ConfirmedFactorDto, ConfirmTotpDto, EnrollTotpDto, FactorDto, TotpEnrollmentDto } from './dto/factors.dto';
import { MeFactorsService } from './me-factors.service';
import { ApiErrors } from '../app/auth-errors';

@ApiTags('factors')
@Controller('v1/me/factors')
export class FactorsController {
  constructor(private readonly factors: MeFactorsService) {}

  @Get()
  @Authenticated('access', 'enrollment')
  @ApiOkResponse({ type: [FactorDto] })
  list(@CurrentUser() user: TokenClaims) {
    return this.factors.list(user.sub);
  }

  @Post('totp')
  @NoStore()
  @Authenticated('access', 'enrollment')
  @StepUp()
  // It may check a password (the first factor): the same per-IP limit as the sign-in routes.
  @UseGuards(ThrottlerGuard)
  @ApiCreatedResponse({
    type: TotpEnrollmentDto,
    description: 'pending until confirmed',
  })
  @ApiErrors(
    'step_up_required',
    { code: 'password_required', when: 'first factor, no currentPassword' },
    { code: 'invalid_credentials', when: 'first factor, wrong currentPassword' },
    'too_many_requests',
  )
  enrollTotp(@CurrentUser() user: TokenClaims, @Body() body: EnrollTotpDto, @Client() client: ClientInfo) {
    return this.factors.enrollTotp(user.sub, body.name.trim(), body.currentPassword, client);
  }

  @Post('totp/:id/confirm')
  @HttpCode(200)
  @NoStore()
  @Authenticated('access', 'enrollment')
  @StepUp()
  @ApiOkResponse({ type: ConfirmedFactorDto })
  @ApiErrors('invalid_code', 'factor_not_found')
  confirmTotp(@CurrentUser() user: TokenClaims, @Param('id', new ParseUUIDPipe()) id: string, @Body() body: ConfirmTotpDto, @Client() client: ClientInfo) {
    return this.factors.confirmTotp(user.sub, id, body.code, client);
  }

  @Post('webauthn/options')
  @HttpCode(200)
  @Authenticated('access', 'enrollment')
  @StepUp()
  @UseGuards(ThrottlerGuard)
  @ApiOkResponse({
    description: 'PublicKeyCredentialCreationOptionsJSON for @simplewebauthn/browser startRegistration',
  })
  @ApiErrors(
    'step_up_required',
    { code: 'password_required', when: 'first factor, no currentPassword' },
    { code: 'invalid_credentials', when: 'first factor, wrong currentPassword' },
    'too_many_requests',
  )
  webauthnOptions(@CurrentUser() user: TokenClaims, @Body() body: WebAuthnRegistrationOptionsDto, @Client() client: ClientInfo) {
    return this.factors.webauthnOptions(user.sub, body.passkey === true, body.currentPassword, client);
  }

  @Post('webauthn')
  @NoStore()
  @Authenticated('access', 'enrollment')
  @StepUp()
  @ApiCreatedResponse({ type: ConfirmedFactorDto })
  @ApiErrors('webauthn_failed', 'challenge_expired', 'challenge_not_found', 'credential_already_registered', 'factor_name_taken', 'authenticator_not_allowed')
  registerWebauthn(@CurrentUser() user: TokenClaims, @Body() body: WebAuthnRegistrationDto, @Client() client: ClientInfo) {
    return this.factors.registerWebauthn(user.sub, body.name.trim(), body.response, client);
  }

  @Delete(':id')
  @HttpCode(204)
  @Authenticated()
  @StepUp()
  @ApiNoContentResponse()
  @ApiErrors('factor_not_found', 'step_up_required')
  remove(@CurrentUser() user: TokenClaims, @Param('id', new ParseUUIDPipe()) id: string, @Client() client: ClientInfo): Promise<void> {
    return this.factors.remove(user.sub, id, client);
  }
}
