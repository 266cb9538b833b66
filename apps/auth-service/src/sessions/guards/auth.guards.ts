import { applyDecorators, CanActivate, createParamDecorator, ExecutionContext, Inject, Injectable, SetMetadata, UseGuards } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { ApiBearerAuth } from '@nestjs/swagger';
import { Clock } from '@keyhaven/config';
import type { FastifyRequest } from 'fastify';
import { FirstFactorService } from '../../accounts/first-factor.service';
import { clientOf } from '../../common/request-context';
import { ApiErrors, AuthError } from '../../app/auth-errors';
import { AUTH_CONFIG, AuthConfig } from '../../config/auth.config';
import { SecondFactorRegistry } from '../../second-factors/second-factor-registry';
import { TokenClaims, TokenUse } from '../token-claims';

const TOKEN_USES = 'auth:token-uses';
const ROLES = 'auth:roles';
const STEP_UP = 'auth:step-up';

interface WithUser {
  user?: unknown;
}

/**
 * The first factor of a sign-in: `{email, password}` or `{login, password}`, local or directory
 * (FirstFactorService); the account lands on `request.user`. Any wrong credential is one 401.
 */
@Injectable()
export class PasswordGuard implements CanActivate {
  constructor(private readonly firstFactor: FirstFactorService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest & WithUser>();
    request.user = await this.firstFactor.authenticate(request.body, clientOf(request));
    return true;
  }
}

/** A valid bearer token (signature, issuer, audience, expiry) through the passport `jwt` strategy. */
@Injectable()
export class BearerGuard extends AuthGuard('jwt') {
  override handleRequest<T>(error: unknown, user: T, info: unknown): T {
    if (error) throw error instanceof AuthError ? error : new AuthError('invalid_token', 'The bearer token is not valid.');
    if (!user) {
      // passport-jwt reports a missing header as "No auth token"; anything else is a bad token.
      if (info instanceof Error && info.message === 'No auth token') throw new AuthError('unauthorized', 'This route needs a bearer token.');
      throw new AuthError('invalid_token', tokenProblem(info));
    }
    return user;
  }
}

/**
 * What is wrong with a token, in words that do not repeat this service's configuration:
 * jsonwebtoken's own messages name the expected issuer and audience ("jwt issuer invalid.
 * expected: https://…"), which tells a prober what to forge.
 */
function tokenProblem(info: unknown): string {
  const message = info instanceof Error ? info.message : '';
  if (/^jwt expired/.test(message)) return 'The bearer token has expired; sign in again.';
  if (/^jwt issuer invalid/.test(message)) return 'The bearer token was not issued by this service.';
  if (/^jwt audience invalid/.test(message)) return 'The bearer token is not meant for this service.';
  if (/^jwt not active/.test(message)) return 'The bearer token is not valid yet.';
  return 'The bearer token is not valid.';
}

function claimsOf(context: ExecutionContext): TokenClaims {
  const request = context.switchToHttp().getRequest<WithUser>();
  return request.user as TokenClaims;
}

/** Which kinds of token a route takes: a pending token only reaches the second step, an enrollment token only enrollment. */
@Injectable()
export class TokenUseGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const allowed = this.reflector.getAllAndOverride<TokenUse[] | undefined>(TOKEN_USES, [context.getHandler(), context.getClass()]) ?? ['access'];
    const use = claimsOf(context).token_use;
    if (allowed.includes(use)) return true;
    if (use === 'enrollment') throw new AuthError('enrollment_required', 'Your account must enroll a second factor before it can do anything else.');
    if (use === 'mfa_pending') throw new AuthError('wrong_token_use', 'Complete the second factor first (/v1/sessions/mfa/*).');
    throw new AuthError('wrong_token_use', 'This route takes a pending sign-in token, not a session.');
  }
}

@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const roles = this.reflector.getAllAndOverride<string[] | undefined>(ROLES, [context.getHandler(), context.getClass()]);
    if (!roles?.length) return true;
    const held = claimsOf(context).roles ?? [];
    if (roles.some((role) => held.includes(role))) return true;
    throw new AuthError('forbidden', `This route needs the role ${roles.join(' or ')}.`);
  }
}

/**
 * Changing factors is a sensitive operation (NIST SP 800-63B 6.1.2.x, ASVS 2.7/2.8): with a
 * factor on the account it needs an aal2 session, and always a recent authentication, so a
 * stolen or forgotten session cannot swap the second factor out.
 */
@Injectable()
export class StepUpGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly factors: SecondFactorRegistry,
    private readonly clock: Clock,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (!this.reflector.getAllAndOverride<boolean | undefined>(STEP_UP, [context.getHandler(), context.getClass()])) return true;
    const claims = claimsOf(context);
    if (claims.aal < 2 && (await this.factors.hasConfirmedFactor(claims.sub))) {
      throw new AuthError('step_up_required', 'Sign in with your second factor to change factors.', { requiredAal: 2 });
    }
    const ageMs = this.clock.nowMs() - claims.auth_time * 1000;
    if (ageMs > this.config.stepUpMaxAgeMs) {
      throw new AuthError('step_up_required', 'Sign in again: changing factors needs a recent authentication.', {
        maxAgeSeconds: Math.floor(this.config.stepUpMaxAgeMs / 1000),
      });
    }
    return true;
  }
}

/** A route for bearer tokens of the given uses (default: full sessions only). */
export function Authenticated(...uses: TokenUse[]) {
  const allowed = uses.length ? uses : ['access'];
  return applyDecorators(
    SetMetadata(TOKEN_USES, allowed),
    UseGuards(BearerGuard, TokenUseGuard, RolesGuard, StepUpGuard),
    ApiBearerAuth(),
    // What BearerGuard and TokenUseGuard answer.
    ApiErrors(
      { code: 'invalid_token', when: 'no bearer token, or one that is not valid or whose session has ended' },
      ...(allowed.includes('enrollment') ? [] : [{ code: 'enrollment_required' as const, when: 'an enroll-only token' }]),
      {
        code: 'wrong_token_use',
        when: allowed.includes('mfa_pending') ? 'a session token where the pending sign-in token belongs' : 'the pending sign-in token',
      },
    ),
  );
}

/** Only the token between password and second factor. */
export const PendingOnly = () => Authenticated('mfa_pending');

export const Roles = (...roles: string[]) =>
  applyDecorators(SetMetadata(ROLES, roles), ApiErrors({ code: 'forbidden', when: `the token lacks the role ${roles.join(' or ')}` }));

/** aal2 when the account has a factor, and an authentication within AUTH_STEP_UP_MAX_AGE. */
export const StepUp = () =>
  applyDecorators(
    SetMetadata(STEP_UP, true),
    ApiErrors({ code: 'step_up_required', when: 'a password-only session on an account with a factor, or an authentication older than AUTH_STEP_UP_MAX_AGE' }),
  );

export const CurrentUser = createParamDecorator((_data: unknown, context: ExecutionContext): TokenClaims => claimsOf(context));
