import { Body, Controller, createParamDecorator, ExecutionContext, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { parse as parseCookies } from 'cookie';
import { ApiBody, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { Account } from '../accounts/entities/account.entity';
import { Client, ClientInfo } from '../common/request-context';
import { NoStore } from '../common/no-store';
import { TotpFactorsService } from '../factors/totp-factors.service';
import { RecoveryCodesService } from '../recovery-codes/recovery-codes.service';
import { WebAuthnAssertionDto } from '../webauthn/dto/webauthn.dto';
import { WebAuthnFactorsService } from '../webauthn/webauthn-factors.service';
import { CodeDto, RefreshDto, SessionAnswerDto, SignInDto, WebAuthnStepDto } from './dto/sessions.dto';
import { DEVICE_COOKIE, RememberedDevices } from './remembered-devices';
import { CurrentUser, PasswordGuard, PendingOnly } from './guards/auth.guards';
import type { SecondFactorStrategy } from '../second-factors/second-factor.strategy';
import { SecondStepService } from './second-step.service';
import { SessionsService } from './sessions.service';
import type { SessionAnswer } from './sign-in-answer';
import type { TokenClaims } from './token-claims';
import { ApiErrors } from '../app/auth-errors';

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
    private readonly secondStep: SecondStepService,
    private readonly totp: TotpFactorsService,
    private readonly recoveryCodes: RecoveryCodesService,
    private readonly webauthn: WebAuthnFactorsService,
    private readonly devices: RememberedDevices,
  ) {}

  @Post()
  @HttpCode(200)
  @NoStore()
  @UseGuards(PasswordGuard)
  @ApiBody({ type: SignInDto })
  @ApiOkResponse({ type: SessionAnswerDto })
  @ApiErrors('invalid_credentials', { code: 'invalid_token', when: 'a deviceToken that is not valid' })
  async signIn(
    @PasswordAccount() account: Account,
    @Client() client: ClientInfo,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SessionAnswer> {
    const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    if (fields['skipRememberedDevice'] === true) return this.sessions.afterPassword(account, client);
    // An API client names its device token; the account page's lives in an HttpOnly cookie.
    const explicit = fields['deviceToken'] !== undefined;
    const cookie = explicit ? undefined : parseCookies(request.headers.cookie ?? '')[DEVICE_COOKIE];
    if (!explicit && cookie === undefined) return this.sessions.afterPassword(account, client);
    const device = await this.devices.recognise(account.id, explicit ? fields['deviceToken'] : cookie, client, explicit);
    if (device.kind === 'remembered') {
      const answer = await this.sessions.rememberedDeviceSignIn(account, device.id, client);
      if (answer) return answer;
    }
    // A cookie that no longer works is dropped, so the page stops sending it.
    if (!explicit && device.kind !== 'remembered') void reply.header('set-cookie', this.devices.clearCookie());
    return this.sessions.afterPassword(account, client);
  }

  @Post('refresh')
  @HttpCode(200)
  @NoStore()
  @ApiOkResponse({
    type: SessionAnswerDto,
    description: 'A new access token of the same session (same aal, amr, auth_time) and a new refresh token; the presented one is spent.',
  })
  @ApiErrors({ code: 'invalid_token', when: 'any refresh token that does not work (a spent one also revokes its session)' })
  refresh(@Body() body: RefreshDto, @Client() client: ClientInfo): Promise<SessionAnswer> {
    return this.sessions.refresh(body.refreshToken, client);
  }

  @Post('mfa/totp')
  @HttpCode(200)
  @NoStore()
  @PendingOnly()
  @ApiOkResponse({ type: SessionAnswerDto })
  @ApiErrors('invalid_code', 'code_already_used', 'too_many_attempts')
  async totpStep(
    @CurrentUser() pending: TokenClaims,
    @Body() body: CodeDto,
    @Client() client: ClientInfo,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SessionAnswer> {
    return this.step(this.totp, { code: body.code }, body.rememberDevice, pending, client, reply);
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
    description: 'amr hwk (+ user with user verification)',
  })
  @ApiErrors('webauthn_failed', 'challenge_expired', 'challenge_not_found', 'unknown_credential', 'counter_regression', 'too_many_attempts')
  async webauthnStep(
    @CurrentUser() pending: TokenClaims,
    @Body() body: WebAuthnStepDto,
    @Client() client: ClientInfo,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SessionAnswer> {
    return this.step(this.webauthn, { response: body.response }, body.rememberDevice, pending, client, reply);
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
  @ApiOkResponse({ type: SessionAnswerDto, description: 'aal 2, amr hwk,user,mfa' })
  @ApiErrors('unknown_credential', 'webauthn_failed', 'challenge_expired', 'challenge_not_found', 'counter_regression')
  passkeySignIn(@Body() body: WebAuthnAssertionDto, @Client() client: ClientInfo): Promise<SessionAnswer> {
    return this.secondStep.passkeySignIn(body.response, client);
  }

  @Post('mfa/recovery-code')
  @HttpCode(200)
  @NoStore()
  @PendingOnly()
  @ApiOkResponse({ type: SessionAnswerDto, description: 'with recoveryCodesRemaining' })
  @ApiErrors('invalid_code', 'too_many_attempts')
  async recoveryCodeStep(
    @CurrentUser() pending: TokenClaims,
    @Body() body: CodeDto,
    @Client() client: ClientInfo,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SessionAnswer> {
    return this.step(this.recoveryCodes, { code: body.code }, body.rememberDevice, pending, client, reply);
  }

  /** A second step; after it succeeded, with `rememberDevice`, a device token in the answer and in the page's cookie. */
  private async step<I>(
    strategy: SecondFactorStrategy<I>,
    input: I,
    rememberDevice: boolean | undefined,
    pending: TokenClaims,
    client: ClientInfo,
    reply: FastifyReply,
  ): Promise<SessionAnswer> {
    const answer = await this.secondStep.secondFactor(pending, strategy, input, client);
    if (!rememberDevice || !this.devices.enabled) return answer;
    const device = await this.devices.remember(pending.sub, client);
    void reply.header('set-cookie', this.devices.cookie(device.deviceToken, device.deviceTokenExpiresIn));
    return { ...answer, ...device };
  }
}
