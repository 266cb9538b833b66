import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Reflector } from '@nestjs/core';
import { getOptionsToken, getStorageToken, ThrottlerGuard, type ThrottlerModuleOptions, type ThrottlerStorage } from '@nestjs/throttler';
import { runGuardAs, type LeanRoute } from '@keyhaven/http';
import { clientOf } from '../common/request-context';
import { REFRESH_TOKEN_MAX_LENGTH, RefreshDto } from './dto/sessions.dto';
import { SessionsController } from './sessions.controller';
import { SessionsService } from './sessions.service';

/**
 * auth-service's routes served on the lean path (see `serveLeanRoutes`). `POST
 * /v1/sessions/refresh` is the one every signed-in client calls every few minutes: it does what
 * `SessionsController.refresh` does — the controller's per-IP ThrottlerGuard, the RefreshDto,
 * `SessionsService.refresh`, `Cache-Control: no-store` — without the framework's per-request
 * layers.
 */
export async function authLeanRoutes(app: NestFastifyApplication): Promise<LeanRoute[]> {
  const throttler = new ThrottlerGuard(app.get<ThrottlerModuleOptions>(getOptionsToken()), app.get<ThrottlerStorage>(getStorageToken()), app.get(Reflector));
  await throttler.onModuleInit();
  const sessions = app.get(SessionsService);
  const refresh: LeanRoute<RefreshDto> = {
    method: 'POST',
    path: '/v1/sessions/refresh',
    dto: RefreshDto,
    accept: (body): body is RefreshDto => isRefreshBody(body),
    before: runGuardAs(throttler, SessionsController, 'refresh'),
    handle: (input, request) => sessions.refresh(input.refreshToken, clientOf(request)),
    headers: { 'cache-control': 'no-store' },
  };
  return [refresh as LeanRoute];
}

/** `{"refreshToken": "<string of at most 512>"}` and nothing else: what RefreshDto accepts as is. */
function isRefreshBody(body: unknown): body is RefreshDto {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  const keys = Object.keys(body);
  const token = (body as { refreshToken?: unknown }).refreshToken;
  return keys.length === 1 && keys[0] === 'refreshToken' && typeof token === 'string' && token.length <= REFRESH_TOKEN_MAX_LENGTH;
}
