import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { preparedTransaction } from '@keyhaven/database';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { Clock } from '@keyhaven/config';
import { Account } from '../accounts/entities/account.entity';
import { AccountsService } from '../accounts/accounts.service';
import { AuthError } from '../app/auth-errors';
import { ClientInfo } from '../common/request-context';
import type { SecurityEventInput } from '../common/types';
import { SecurityNotifier } from '../notifications/security-notifier';
import { RecoveryCodesService } from '../recovery-codes/recovery-codes.service';
import { SecondFactorAttempts } from '../second-factors/second-factor-attempts';
import { SecondFactorOutcome, SecondFactorStrategy, SpendWith } from '../second-factors/second-factor.strategy';
import { SecurityEventsService } from '../security-events/security-events.service';
import { WebAuthnFactorsService } from '../webauthn/webauthn-factors.service';
import { ConsumedTokenRepository } from './consumed-token.repository';
import { newDeviceEvent, SessionDraft, SessionIssuer } from './session-issuer';
import { SignInStepRepository } from './sign-in-step.repository';
import { answerTokens, refuseIfClosing, type SessionAnswer } from './sign-in-answer';
import { TokenClaims } from './token-claims';
import { TokenSubject } from './token.service';

const FAILURE_MESSAGES: Partial<Record<string, string>> = {
  code_already_used: 'This code has already been used; wait for the next one.',
  invalid_code: 'The code is not valid.',
};

const spentToken = () => new AuthError('invalid_token', 'This sign-in token has already been used; start again with your password.');

/** The consuming write took nothing (a code already used): the transaction rolls back, the token stays unspent. */
class NothingTaken extends Error {}

/** The recovery-code count at and below which the sign-in answer warns. */
export const RECOVERY_CODES_LOW = 3;

/**
 * The second step of a sign-in — a TOTP code, a security key, a recovery code after the password —
 * and the passkey sign-in that needs no password: each ends in a full (aal 2) session.
 */
@Injectable()
export class SecondStepService {
  constructor(
    private readonly attempts: SecondFactorAttempts,
    private readonly events: SecurityEventsService,
    private readonly notifier: SecurityNotifier,
    private readonly accounts: AccountsService,
    private readonly recoveryCodes: RecoveryCodesService,
    private readonly em: EntityManager,
    private readonly consumedTokens: ConsumedTokenRepository,
    private readonly steps: SignInStepRepository,
    private readonly webauthn: WebAuthnFactorsService,
    private readonly issuer: SessionIssuer,
    private readonly clock: Clock,
  ) {}

  /**
   * The second step, the same for every factor type: claim an attempt (delay and lock), verify,
   * then reset on success or audit, count and mail on failure.
   */
  async secondFactor<I>(pending: TokenClaims, strategy: SecondFactorStrategy<I>, input: I, client: ClientInfo): Promise<SessionAnswer> {
    // One statement counts the attempt and reads the account; a locked or closing account is
    // refused without counting (see `refusal`).
    const attempt = await this.attempts.tryClaim(pending.sub, strategy.claimRead);
    if (!attempt) throw await this.refusal(pending.sub);
    const subject: TokenSubject = { id: attempt.id, email: attempt.email, roles: attempt.roles };
    // The session is prepared first, so its row goes into the step's one transaction with the
    // spending of the pending token and the code: a step that commits has its session.
    const draft = this.issuer.draft(attempt.id, { use: 'access', aal: 2, amr: ['pwd', ...strategy.amr, 'mfa'], authTime: this.clock.now() }, client);
    const { outcome, newDevice, recoveryCodesRemaining } = await this.verifySpendingToken(pending, strategy, input, draft, client, attempt.read);
    if (outcome.ok) {
      if (strategy.method === 'recovery_code') void this.notifier.recoveryCodeUsed(attempt.email, recoveryCodesRemaining ?? 0);
      if (newDevice) this.issuer.mailNewDevice(subject, draft);
      return this.fullSession(subject, draft, { newDeviceChecked: true, recoveryCodesRemaining });
    }

    const details = { method: strategy.method, factorId: outcome.factorId, attempt: attempt.count, reason: outcome.reason };
    if (outcome.reason === 'counter_regression') {
      await this.possibleClone(subject, outcome, client);
    } else if (outcome.reason === 'code_already_used' && outcome.details?.['consumedBy'] === 'confirmation') {
      // The step the user's own confirmation took (the guide's "confirm, then sign in"): no alarm.
      await this.events.record({ type: 'mfa_failed', accountId: attempt.id, ip: client.ip, details: { ...details, consumedBy: 'confirmation' } });
    } else if (outcome.reason === 'code_already_used') {
      // ASVS 2.8.5: a reused code means someone saw it — tell the user.
      await this.events.record({ type: 'code_reused', accountId: attempt.id, ip: client.ip, details });
      void this.notifier.codeReused(attempt.email);
    } else {
      await this.events.record({ type: 'mfa_failed', accountId: attempt.id, ip: client.ip, details });
    }
    if (this.attempts.isBurst(attempt)) void this.notifier.failedAttempts(attempt.email, attempt.count);
    const lockedUntil = this.attempts.lockedUntilAfter(attempt);
    if (lockedUntil) {
      await this.events.record({
        type: 'mfa_locked',
        accountId: attempt.id,
        ip: client.ip,
        details: { until: lockedUntil.toISOString(), attempts: attempt.count },
      });
      void this.notifier.locked(attempt.email, lockedUntil);
    }
    const publicDetails = outcome.details?.['consumedBy'] === 'confirmation' ? outcome.details : undefined;
    throw new AuthError(outcome.reason, outcome.message ?? FAILURE_MESSAGES[outcome.reason] ?? 'The second factor was refused.', publicDetails);
  }

  /**
   * Why no attempt could be claimed, in the order the checks are meant: the account is gone, it
   * is closing (an erasure is scheduled), it is locked — none of which counted an attempt — or a
   * delay or lock of the attempts runs.
   */
  private async refusal(accountId: string): Promise<AuthError> {
    const account = await this.accounts.findById(accountId);
    if (!account) return new AuthError('invalid_token', 'The account of this token no longer exists.');
    refuseIfClosing(account);
    // Locked (by the directory sync or an admin) since the password step: no session.
    if (account.lockedAt) return new AuthError('account_locked', 'This account is locked; ask an administrator.', { reason: account.lockReason });
    return this.attempts.refusal(accountId);
  }

  /**
   * Passkey sign-in without a password. Not counted by the second-factor limit: that counter
   * is for someone who already knows the password, and a stranger must not be able to lock a
   * user out (guessing an ES256 signature is hopeless anyway; per-IP throttling still applies).
   */
  async passkeySignIn(response: AuthenticationResponseJSON, client: ClientInfo): Promise<SessionAnswer> {
    const outcome = await this.webauthn.verifyPasskey(response);
    const account = outcome.accountId ? await this.accounts.findById(outcome.accountId) : null;
    if (!outcome.ok) {
      if (account) {
        await this.events.record({
          type: 'passkey_failed',
          accountId: account.id,
          ip: client.ip,
          details: { factorId: outcome.factorId, reason: outcome.reason },
        });
        if (outcome.reason === 'counter_regression') await this.possibleClone(account, outcome, client);
      }
      throw new AuthError(outcome.reason, outcome.message ?? 'The passkey was refused.');
    }
    if (!account) throw new AuthError('unknown_credential', 'The account of this passkey no longer exists.');
    refuseIfClosing(account);
    if (account.lockedAt) throw new AuthError('account_locked', 'This account is locked; ask an administrator.', { reason: account.lockReason });
    await this.events.record({ type: 'passkey_signed_in', accountId: account.id, ip: client.ip, details: { method: 'passkey', factorId: outcome.factorId } });
    // Possession of the key and user verification on it (verifyPasskey requires UV): two factors.
    const draft = this.issuer.draft(account.id, { use: 'access', aal: 2, amr: ['hwk', 'user', 'mfa'], authTime: this.clock.now() }, client);
    await this.issuer.open(draft);
    return this.fullSession({ id: account.id, email: account.email, roles: account.roles }, draft);
  }

  /** The answer of a multi-factor sign-in whose session row is written (`draft` opened). */
  private async fullSession(
    subject: TokenSubject,
    draft: SessionDraft,
    options: { newDeviceChecked?: boolean; recoveryCodesRemaining?: number } = {},
  ): Promise<SessionAnswer> {
    const token = answerTokens(await this.issuer.tokensFor(subject, draft, options));
    const remaining = options.recoveryCodesRemaining ?? (await this.recoveryCodes.remaining(subject.id)).remaining;
    return {
      ...token,
      aal: 2,
      mfaRequired: false,
      methods: [],
      enrollmentRequired: false,
      recoveryCodesRemaining: remaining,
      ...(remaining <= RECOVERY_CODES_LOW ? { warnings: ['recovery_codes_low'] } : {}),
    };
  }

  /** WebAuthn section 6.1.1: a counter that did not grow may mean a cloned key — audit it and tell the user. */
  private async possibleClone(account: Pick<Account, 'id' | 'email'>, outcome: Extract<SecondFactorOutcome, { ok: false }>, client: ClientInfo): Promise<void> {
    // The key's name goes into the mail, not the event: events outlive an erasure and a name is the user's own text.
    const { name, ...details } = outcome.details ?? {};
    await this.events.record({
      type: 'webauthn_counter_regression',
      accountId: account.id,
      ip: client.ip,
      details: { factorId: outcome.factorId, ...details },
    });
    void this.notifier.possibleClonedKey(account.email, typeof name === 'string' ? name : 'security key');
  }

  /**
   * A pending token buys one second step, not one per factor: whoever copied it (a log, a proxy,
   * a shoulder) cannot turn it into a second session with another code. The strategy checks the
   * code, then hands its consuming write (TOTP step, recovery code, key counter) to `spend`: one
   * transaction that spends the token's jti first and then takes the code, so a spent token stops
   * before the code is taken (it cannot burn a recovery code) and racing requests with one token
   * queue on its row. When the write takes nothing the transaction rolls back and the token stays
   * unspent; a mistyped code never reaches `spend`. The success's security events commit in the
   * same transaction. Only the transaction's own connection is used
   * inside it (the embedded database runs one transaction at a time). Tokens without a jti
   * predate this rule.
   */
  private async verifySpendingToken<I>(
    pending: TokenClaims,
    strategy: SecondFactorStrategy<I>,
    input: I,
    session: SessionDraft,
    client: ClientInfo,
    read: unknown,
  ): Promise<{ outcome: SecondFactorOutcome; newDevice: boolean; recoveryCodesRemaining?: number }> {
    const jti = pending.jti;
    if (jti === undefined) throw spentToken();
    let spent = false;
    let closed: { newDevice: boolean; recoveryCodesRemaining: number } | undefined;
    const spend: SpendWith = async (write, grant) => {
      try {
        return await preparedTransaction(this.em, async (tx) => {
          if (!(await this.consumedTokens.consume(tx, jti, pending.sub, new Date(pending.exp * 1000), this.clock.now()))) throw spentToken();
          if (!(await write(tx))) throw new NothingTaken();
          // What the factor proved beyond its type (a key that verified its user: `user`).
          if (grant?.amr?.length) session.row.amr = [...new Set([...session.row.amr.filter((m) => m !== 'mfa'), ...grant.amr, 'mfa'])];
          // One statement opens the session and audits the success in the same transaction (a
          // step whose event cannot be written takes no code, spends no token and opens no
          // session), starts the attempt counter over, and records a sign-in from a new device.
          const events: SecurityEventInput[] = [
            { type: 'mfa_succeeded', accountId: pending.sub, ip: client.ip, details: { method: strategy.method, factorId: grant?.factorId } },
          ];
          if (strategy.method === 'recovery_code') events.push({ type: 'recovery_code_used', accountId: pending.sub, ip: client.ip });
          closed = await this.steps.close(tx, {
            session: session.row,
            refreshHash: session.refresh.hash,
            events: events.map((event) => this.events.row(event)),
            newDevice: this.events.row(newDeviceEvent(session)),
          });
          spent = true;
          return true;
        });
      } catch (error) {
        if (error instanceof NothingTaken) return false;
        throw error;
      }
    };
    const outcome = await strategy.verify(pending.sub, input, spend, read);
    // A success that consumed nothing would let the token (and the code) be used again.
    if (outcome.ok && !spent) throw new Error(`${strategy.method} verified without spending the pending token`);
    return { outcome, newDevice: closed?.newDevice ?? false, recoveryCodesRemaining: closed?.recoveryCodesRemaining };
  }
}
