import { Body, Controller, createParamDecorator, ExecutionContext, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { Account } from '../accounts/entities/account.entity';
import { Client, ClientInfo } from '../common/request-context';
import { NoStore } from '../common/no-store';
import { TotpFactorsService } from '../factors/totp-factors.service';
import { RecoveryCodesService } from '../recovery-codes/recovery-codes.service';
import { WebAuthnAssertionDto } from '../webauthn/dto/webauthn.dto';
import { WebAuthnFactorsService } from '../webauthn/webauthn-factors.service';
import { CodeDto, RefreshDto, SessionAnswerDto, SignInDto } from './dto/sessions.dto';
import { CurrentUser, PasswordGuard, PendingOnly } from './guards/auth.guards';
import { SessionAnswer, SessionsService } from './sessions.service';
import type { TokenClaims } from './token-claims';

const PasswordAccount = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Account => context.switchToHttp().getRequest<{ user: Account }>().user,
);

@ApiTags('sessions')
@Controller('v1/sessions')
// Per-IP limit on every sign-in route, before any token or password is looked at.
@UseGuards(ThrottlerGuard)
export class SessionsController {
  constructor(
    private readonly sessions: SessionsService,
    private readonly totp: TotpFactorsService,
    private readonly recoveryCodes: RecoveryCodesService,
    private readonly webauthn: WebAuthnFactorsService,
  ) {}

  @Post()
  @HttpCode(200)
  @NoStore()
  @UseGuards(PasswordGuard)
  @ApiBody({ type: SignInDto })
  @ApiOkResponse({ type: SessionAnswerDto, description: '401 invalid_credentials' })
  signIn(@PasswordAccount() account: Account, @Client() client: ClientInfo): Promise<SessionAnswer> {
    return this.sessions.afterPassword(account, client);
  }

  @Post('refresh')
  @HttpCode(200)
  @NoStore()
  @ApiOkResponse({
    type: SessionAnswerDto,
    description: 'A new access token of the same session (same aal, amr, auth_time) and a new refresh token; the presented one is spent. 401 invalid_token for any refresh token that does not work (a spent one also revokes its session).',
  })
  refresh(@Body() body: RefreshDto, @Client() client: ClientInfo): Promise<SessionAnswer> {
    return this.sessions.refresh(body.refreshToken, client);
  }

  @Post('mfa/totp')
  @HttpCode(200)
  @NoStore()
  @PendingOnly()
  @ApiOkResponse({ type: SessionAnswerDto, description: '401 invalid_code / code_already_used; 429 too_many_attempts' })
  totpStep(@CurrentUser() pending: TokenClaims, @Body() body: CodeDto, @Client() client: ClientInfo): Promise<SessionAnswer> {
    return this.sessions.secondFactor(pending, this.totp, { code: body.code }, client);
  }

  @Post('mfa/webauthn/options')
  @HttpCode(200)
  @NoStore()
  @PendingOnly()
  @ApiOkResponse({ description: 'PublicKeyCredentialRequestOptionsJSON listing every security key and passkey of the account' })
  webauthnStepOptions(@CurrentUser() pending: TokenClaims) {
    return this.webauthn.secondFactorOptions(pending.sub);
  }

  @Post('mfa/webauthn')
  @HttpCode(200)
  @NoStore()
  @PendingOnly()
  @ApiOkResponse({
    type: SessionAnswerDto,
    description: 'amr hwk (+ user with user verification); 401 webauthn_failed / challenge_expired / challenge_not_found / unknown_credential / counter_regression; 429 too_many_attempts',
  })
  webauthnStep(@CurrentUser() pending: TokenClaims, @Body() body: WebAuthnAssertionDto, @Client() client: ClientInfo): Promise<SessionAnswer> {
    return this.sessions.secondFactor(pending, this.webauthn, { response: body.response }, client);
  }

  @Post('passkey/options')
  @HttpCode(200)
  @NoStore()
  @ApiOkResponse({ description: 'PublicKeyCredentialRequestOptionsJSON with empty allowCredentials and userVerification required' })
  passkeyOptions() {
    return this.webauthn.passkeyOptions();
  }

  @Post('passkey')
  @HttpCode(200)
  @NoStore()
  @ApiOkResponse({ type: SessionAnswerDto, description: 'aal 2, amr hwk,user,mfa; 401 unknown_credential / webauthn_failed / challenge_expired / challenge_not_found / counter_regression' })
  passkeySignIn(@Body() body: WebAuthnAssertionDto, @Client() client: ClientInfo): Promise<SessionAnswer> {
    return this.sessions.passkeySignIn(body.response, client);
  }

  @Post('mfa/recovery-code')
  @HttpCode(200)
  @NoStore()
  @PendingOnly()
  @ApiOkResponse({ type: SessionAnswerDto, description: 'with recoveryCodesRemaining; 401 invalid_code; 429 too_many_attempts' })
  recoveryCodeStep(@CurrentUser() pending: TokenClaims, @Body() body: CodeDto, @Client() client: ClientInfo): Promise<SessionAnswer> {
    return this.sessions.secondFactor(pending, this.recoveryCodes, { code: body.code }, client);
  }
}
