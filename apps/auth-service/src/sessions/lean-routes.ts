import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AuthModuleOptions } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { Clock } from '@keyhaven/config';
import { LaneThrottlerGuard, MemoReflector, runGuardAs, type LeanRoute } from '@keyhaven/http';
import { clientOf } from '../common/request-context';
import { AUTH_CONFIG, type AuthConfig } from '../config/auth.config';
import { SecondFactorRegistry } from '../second-factors/second-factor-registry';
import { CodeDto, REFRESH_TOKEN_MAX_LENGTH, RefreshDto, WebAuthnStepDto } from './dto/sessions.dto';
import { BearerGuard, RolesGuard, StepUpGuard, TokenUseGuard } from './guards/auth.guards';
import { SessionsController } from './sessions.controller';
import { SessionsService } from './sessions.service';
import type { TokenClaims } from './token-claims';

/** The longest `code` CodeDto takes (its @MaxLength). */
const CODE_MAX_LENGTH = 64;

/**
 * auth-service's routes served on the lean path (see `serveLeanRoutes`), each doing what its
 * controller method does — the controller's guards in Nest's order, the DTO (its validation pipe
 * for anything the fast check does not certainly accept), the method itself, `Cache-Control:
 * no-store` — without the framework's per-request layers (middleware with its logger child and ORM
 * request context, the guard/pipe/interceptor machinery):
 * - `POST /v1/sessions/refresh`, which every signed-in client calls every few minutes: the per-IP
 *   ThrottlerGuard, RefreshDto, `SessionsService.refresh`;
 * - the second steps `POST /v1/sessions/mfa/totp`, `/mfa/recovery-code` and `/mfa/webauthn`, which
 *   every sign-in with a second factor takes: the ThrottlerGuard and the pending-token guards of
 *   `@PendingOnly` (bearer, token use, roles, step-up — the same instances' logic), CodeDto or
 *   WebAuthnStepDto, and the controller method itself (`totpStep`, `recoveryCodeStep`,
 *   `webauthnStep`: the step, then the remembered device). `/mfa/webauthn/options` stays on Nest:
 *   clients may post it without a body, which the lane's body gate refuses (415).
 */
export async function authLeanRoutes(app: NestFastifyApplication): Promise<LeanRoute[]> {
  // The guards below run per request here: each route's metadata is read once (MemoReflector).
  const reflector = new MemoReflector();
  const throttler = await LaneThrottlerGuard.of(app, reflector);
  const sessions = app.get(SessionsService);
  const controller = app.get(SessionsController);
  const refresh: LeanRoute<RefreshDto> = {
    method: 'POST',
    path: '/v1/sessions/refresh',
    dto: RefreshDto,
    accept: (body): body is RefreshDto => isRefreshBody(body),
    before: runGuardAs(throttler, SessionsController, 'refresh'),
    handle: (input, request) => sessions.refresh(input.refreshToken, clientOf(request)),
    headers: { 'cache-control': 'no-store' },
    // Its throttler reads the client address and sets its headers; the handler reads the address and User-Agent.
    ahead: true,
  };
  // @UseGuards(ThrottlerGuard) on the class, then what @PendingOnly() puts on the method.
  const pendingGuards = [
    throttler,
    new BearerGuard(app.get(AuthModuleOptions, { strict: false })),
    new TokenUseGuard(reflector),
    new RolesGuard(reflector),
    new StepUpGuard(
      reflector,
      app.get(SecondFactorRegistry, { strict: false }),
      app.get(Clock, { strict: false }),
      app.get<AuthConfig>(AUTH_CONFIG, { strict: false }),
    ),
  ];
  const pendingOf = (request: FastifyRequest) => (request as FastifyRequest & { user: TokenClaims }).user;
  const codeStep = (path: string, method: 'totpStep' | 'recoveryCodeStep'): LeanRoute<CodeDto> => ({
    method: 'POST',
    path,
    dto: CodeDto,
    accept: (body): body is CodeDto => isCodeBody(body),
    guard: runGuardAs(pendingGuards, SessionsController, method),
    handle: (input, request, reply) => controller[method](pendingOf(request), input, clientOf(request), reply),
    headers: { 'cache-control': 'no-store' },
  });
  // The assertion's nested shape has no fast check: every body goes through the validation pipe.
  const webauthnStep: LeanRoute<WebAuthnStepDto> = {
    method: 'POST',
    path: '/v1/sessions/mfa/webauthn',
    dto: WebAuthnStepDto,
    guard: runGuardAs(pendingGuards, SessionsController, 'webauthnStep'),
    handle: (input, request, reply) => controller.webauthnStep(pendingOf(request), input, clientOf(request), reply),
    headers: { 'cache-control': 'no-store' },
  };
  return [refresh, codeStep('/v1/sessions/mfa/totp', 'totpStep'), codeStep('/v1/sessions/mfa/recovery-code', 'recoveryCodeStep'), webauthnStep] as LeanRoute[];
}

/** `{"refreshToken": "<string of at most 512>"}` and nothing else: what RefreshDto accepts as is. */
function isRefreshBody(body: unknown): body is RefreshDto {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  const keys = Object.keys(body);
  const token = (body as { refreshToken?: unknown }).refreshToken;
  return keys.length === 1 && keys[0] === 'refreshToken' && typeof token === 'string' && token.length <= REFRESH_TOKEN_MAX_LENGTH;
}

/**
 * `{"code": "<string of at most 64>", "rememberDevice"?: <boolean>}` and nothing else: what
 * CodeDto accepts as is (class-validator counts a surrogate pair as one character, so no string of
 * at most 64 UTF-16 units is too long for it).
 */
function isCodeBody(body: unknown): body is CodeDto {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  const fields = body as Record<string, unknown>;
  for (const key of Object.keys(fields)) if (key !== 'code' && key !== 'rememberDevice') return false;
  const { code, rememberDevice } = fields;
  return typeof code === 'string' && code.length <= CODE_MAX_LENGTH && (rememberDevice === undefined || typeof rememberDevice === 'boolean');
}
