import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { Clock } from '@keyhaven/config';
import { AccountRepository } from '../accounts/account.repository';
import { Account } from '../accounts/entities/account.entity';
import { ClientInfo } from '../common/request-context';
import { AUTH_CONFIG, AuthConfig } from '../config/auth.config';
import { SecondFactorRegistry } from '../second-factors/second-factor-registry';
import { SessionIssuer } from './session-issuer';
import { answerTokens, refuseIfClosing, type SessionAnswer } from './sign-in-answer';
import { REMEMBERED_DEVICE_AMR } from './token-claims';
import { TokenService } from './token.service';

/**
 * The first step of a sign-in (after the password, or a remembered device in its place) and the
 * refresh of a session; the second step is SecondStepService's.
 */
@Injectable()
export class SessionsService {
  constructor(
    private readonly tokens: TokenService,
    private readonly registry: SecondFactorRegistry,
    private readonly em: EntityManager,
    private readonly accounts: AccountRepository,
    private readonly issuer: SessionIssuer,
    private readonly clock: Clock,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
  ) {}

  /**
   * After the password (local or directory): a pending token if a factor exists, else a session
   * (or, past the grace period, an enroll-only session).
   */
  async afterPassword(account: Account, client: ClientInfo = { ip: undefined }): Promise<SessionAnswer> {
    refuseIfClosing(account);
    const now = this.clock.now();
    const subject = { id: account.id, email: account.email, roles: account.roles };
    if (await this.registry.hasConfirmedFactor(account.id)) {
      const methods = await this.registry.availableMethods(account.id);
      const token = await this.tokens.issue(subject, { use: 'mfa_pending', aal: 1, amr: ['pwd'], authTime: now });
      return { ...token, aal: 1, mfaRequired: true, methods, enrollmentRequired: false };
    }
    if (this.mfaRequiredFor(account.roles)) {
      const graceStart = await this.accounts.startGracePeriod(this.em.fork(), account.id, now);
      const deadline = new Date(graceStart.getTime() + this.config.mfaGracePeriodMs);
      // Past the grace period the password alone buys nothing but the way to enroll; during it, a
      // session that ends with the grace period (a refresh cannot stretch it).
      const use = now >= deadline ? 'enrollment' : 'access';
      const session = await this.issuer.start(subject, { use, aal: 1, amr: ['pwd'], authTime: now, ...(use === 'access' ? { endsBy: deadline } : {}) }, client);
      return { ...answerTokens(session), aal: 1, mfaRequired: false, methods: [], enrollmentRequired: true, enrollmentDeadline: deadline.toISOString() };
    }
    const session = await this.issuer.start(subject, { use: 'access', aal: 1, amr: ['pwd'], authTime: now }, client);
    return { ...answerTokens(session), aal: 1, mfaRequired: false, methods: [], enrollmentRequired: false };
  }

  /**
   * A password sign-in that presented a remembered device of the account: the second step is
   * skipped, and the session says so — amr `remembered_device` (not otp/hwk) and aal 1, so step-up
   * and aal-2 routes still ask for a real factor. Undefined when the account no longer has a factor
   * (then the ordinary path applies).
   */
  async rememberedDeviceSignIn(account: Account, rememberedDeviceId: string, client: ClientInfo): Promise<SessionAnswer | undefined> {
    if (!(await this.registry.hasConfirmedFactor(account.id))) return undefined;
    const subject = { id: account.id, email: account.email, roles: account.roles };
    const session = await this.issuer.start(
      subject,
      { use: 'access', aal: 1, amr: ['pwd', REMEMBERED_DEVICE_AMR], authTime: this.clock.now(), rememberedDeviceId },
      client,
    );
    return { ...answerTokens(session), aal: 1, mfaRequired: false, methods: [], enrollmentRequired: false };
  }

  /** `POST /v1/sessions/refresh`. */
  async refresh(refreshToken: unknown, client: ClientInfo): Promise<SessionAnswer> {
    const { session, ...tokens } = await this.issuer.refresh(refreshToken, client);
    return { ...answerTokens(tokens), aal: session.aal, mfaRequired: false, methods: [], enrollmentRequired: session.tokenUse === 'enrollment' };
  }

  private mfaRequiredFor(roles: string[]): boolean {
    const policy = this.config.mfaEnforced;
    if (policy.mode === 'off') return false;
    if (policy.mode === 'all') return true;
    return roles.some((role) => policy.roles.includes(role));
  }
}
