import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { NoStore } from '../common/no-store';
import { Client, ClientInfo } from '../common/request-context';
import { Authenticated, CurrentUser, StepUp } from '../sessions/guards/auth.guards';
import type { TokenClaims } from '../sessions/token-claims';
import { WebAuthnRegistrationDto, WebAuthnRegistrationOptionsDto } from '../webauthn/dto/webauthn.dto';
import { ConfirmedFactorDto, ConfirmTotpDto, EnrolTotpDto, FactorDto, TotpEnrolmentDto } from './dto/factors.dto';
import { MeFactorsService } from './me-factors.service';

@ApiTags('factors')
@Controller('v1/me/factors')
export class FactorsController {
  constructor(private readonly factors: MeFactorsService) {}

  @Get()
  @Authenticated('access', 'enrolment')
  @ApiOkResponse({ type: [FactorDto] })
  list(@CurrentUser() user: TokenClaims) {
    return this.factors.list(user.sub);
  }

  @Post('totp')
  @NoStore()
  @Authenticated('access', 'enrolment')
  @StepUp()
  @ApiCreatedResponse({ type: TotpEnrolmentDto, description: 'pending until confirmed; 403 step_up_required' })
  enrolTotp(@CurrentUser() user: TokenClaims, @Body() body: EnrolTotpDto, @Client() client: ClientInfo) {
    return this.factors.enrolTotp(user.sub, body.name.trim(), client);
  }

  @Post('totp/:id/confirm')
  @HttpCode(200)
  @NoStore()
  @Authenticated('access', 'enrolment')
  @StepUp()
  @ApiOkResponse({ type: ConfirmedFactorDto, description: '401 invalid_code; 404 factor_not_found' })
  confirmTotp(@CurrentUser() user: TokenClaims, @Param('id', new ParseUUIDPipe()) id: string, @Body() body: ConfirmTotpDto, @Client() client: ClientInfo) {
    return this.factors.confirmTotp(user.sub, id, body.code, client);
  }

  @Post('webauthn/options')
  @HttpCode(200)
  @Authenticated('access', 'enrolment')
  @StepUp()
  @ApiOkResponse({ description: 'PublicKeyCredentialCreationOptionsJSON for @simplewebauthn/browser startRegistration; 403 step_up_required' })
  webauthnOptions(@CurrentUser() user: TokenClaims, @Body() body: WebAuthnRegistrationOptionsDto) {
    return this.factors.webauthnOptions(user.sub, body.passkey === true);
  }

  @Post('webauthn')
  @NoStore()
  @Authenticated('access', 'enrolment')
  @StepUp()
  @ApiCreatedResponse({
    type: ConfirmedFactorDto,
    description: '401 webauthn_failed / challenge_expired / challenge_not_found; 409 credential_already_registered / factor_name_taken; 400 authenticator_not_allowed',
  })
  registerWebauthn(@CurrentUser() user: TokenClaims, @Body() body: WebAuthnRegistrationDto, @Client() client: ClientInfo) {
    return this.factors.registerWebauthn(user.sub, body.name.trim(), body.response, client);
  }

  @Delete(':id')
  @HttpCode(204)
  @Authenticated()
  @StepUp()
  @ApiNoContentResponse({ description: '404 factor_not_found; 403 step_up_required' })
  remove(@CurrentUser() user: TokenClaims, @Param('id', new ParseUUIDPipe()) id: string, @Client() client: ClientInfo): Promise<void> {
    return this.factors.remove(user.sub, id, client);
  }
}
