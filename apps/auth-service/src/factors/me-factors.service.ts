import { Injectable } from '@nestjs/common';
import type { Account } from '../accounts/entities/account.entity';
import { AccountsService } from '../accounts/accounts.service';
import { AuthError } from '../app/auth-errors';
import { ClientInfo } from '../common/request-context';
import type { FactorView } from '../common/types';
import { SecurityNotifier } from '../notifications/security-notifier';
import { RecoveryCodesService } from '../recovery-codes/recovery-codes.service';
import { SecondFactorAttempts } from '../second-factors/second-factor-attempts';
import { SecondFactorRegistry } from '../second-factors/second-factor-registry';
import { SecurityEventsService } from '../security-events/security-events.service';
import { WebAuthnFactorsService } from '../webauthn/webauthn-factors.service';
import { SessionRevocation } from '../sessions/session-revocation';
import type { PublicKeyCredentialCreationOptionsJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { TotpEnrollment, TotpFactorsService } from './totp-factors.service';

/** A user's own factors across types, and the admin reset that removes them all. */
@Injectable()
export class MeFactorsService {
  constructor(
    private readonly totp: TotpFactorsService,
    private readonly webauthn: WebAuthnFactorsService,
    private readonly recoveryCodes: RecoveryCodesService,
    private readonly registry: SecondFactorRegistry,
    private readonly accounts: AccountsService,
    private readonly attempts: SecondFactorAttempts,
    private readonly events: SecurityEventsService,
    private readonly notifier: SecurityNotifier,
    private readonly revocation: SessionRevocation,
  ) {}

  async list(accountId: string): Promise<FactorView[]> {
    const all = [...(await this.totp.list(accountId)), ...(await this.webauthn.list(accountId))];
    return all.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  async webauthnOptions(
    accountId: string,
    passkey: boolean,
    currentPassword: string | undefined,
    client: ClientInfo,
  ): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const account = await this.accountOf(accountId);
    await this.proveFirstFactor(account, currentPassword, client);
    return this.webauthn.registrationOptions(account, passkey);
  }

  /** Like a TOTP confirmation: the first confirmed factor brings the recovery codes, in the same audited change. */
  async registerWebauthn(
    accountId: string,
    name: string,
    response: RegistrationResponseJSON,
    client: ClientInfo,
  ): Promise<{ factor: FactorView; recoveryCodes?: string[] }> {
    // The ceremony is checked before the transaction: inside it, every query must use `tx`.
    const credential = await this.webauthn.verifyRegistration(accountId, name, response);
    const answer = await this.events.audited(async (tx) => {
      const { factor, events } = await this.webauthn.store(credential, client, tx);
      const recoveryCodes = await this.recoveryCodes.issueInitialSet(accountId, tx);
      await this.revocation.forgetDevices(accountId, 'factor_added', { ip: client.ip }, tx);
      return { result: recoveryCodes ? { factor, recoveryCodes } : { factor }, events };
    });
    await this.mailOwner(accountId, (to) => this.notifier.factorAdded(to, kindOf(answer.factor), answer.factor.name));
    return answer;
  }

  async enrollTotp(accountId: string, name: string, currentPassword: string | undefined, client: ClientInfo): Promise<TotpEnrollment> {
    const account = await this.accountOf(accountId);
    await this.proveFirstFactor(account, currentPassword, client);
    return this.totp.enroll(account, name, client);
  }

  async confirmTotp(accountId: string, id: string, code: string, client: ClientInfo): Promise<{ factor: FactorView; recoveryCodes?: string[] }> {
    const answer = await this.events.audited(async (tx) => {
      const { factor, event } = await this.totp.confirm(accountId, id, code, client, tx);
      const recoveryCodes = await this.recoveryCodes.issueInitialSet(accountId, tx);
      // A remembered device vouched for the factors the account had: a new one forgets them all.
      await this.revocation.forgetDevices(accountId, 'factor_added', { ip: client.ip }, tx);
      return { result: recoveryCodes ? { factor, recoveryCodes } : { factor }, events: [event] };
    });
    await this.mailOwner(accountId, (to) => this.notifier.factorAdded(to, kindOf(answer.factor), answer.factor.name));
    return answer;
  }

  async remove(accountId: string, id: string, client: ClientInfo): Promise<void> {
    const factor = (await this.list(accountId)).find((candidate) => candidate.id === id);
    await this.events.audited(async (tx) => {
      const event = (await this.totp.remove(accountId, id, client, tx)) ?? (await this.webauthn.remove(accountId, id, client, tx));
      if (!event) throw new AuthError('factor_not_found', 'No such factor on your account.');
      // Recovery codes stand in for a factor; with none left they would be a password-only back door.
      if (!(await this.registry.hasConfirmedFactor(accountId, tx))) await this.recoveryCodes.deleteAllFor(accountId, tx);
      await this.revocation.forgetDevices(accountId, 'factor_removed', { ip: client.ip }, tx);
      return { result: undefined, events: [event] };
    });
    // Mail only for a removal that committed; an unconfirmed app (abandoned set-up) never signed in.
    if (factor?.confirmed) await this.mailOwner(accountId, (to) => this.notifier.factorRemoved(to, kindOf(factor), factor.name));
  }

  /** A new set (its audit row in the same transaction), then a mail to the owner. */
  async regenerateRecoveryCodes(accountId: string, client: ClientInfo): Promise<{ recoveryCodes: string[] }> {
    const answer = await this.recoveryCodes.regenerate(accountId, this.registry, client);
    await this.mailOwner(accountId, (to) => this.notifier.recoveryCodesRegenerated(to));
    return answer;
  }

  /**
   * The first second factor decides who controls the account from then on (its owner's aal1
   * token gets step_up_required afterwards), so enrolling it proves the password again, as a
   * sign-in would: a stolen password-only session cannot lock the owner out. Wrong passwords are
   * audited and the route is throttled per IP like the sign-in routes.
   */
  private async proveFirstFactor(account: Account, currentPassword: string | undefined, client: ClientInfo): Promise<void> {
    if (await this.registry.hasConfirmedFactor(account.id)) return;
    if (currentPassword === undefined) {
      throw new AuthError('password_required', 'Adding your first second factor needs your current password again (currentPassword).', {
        field: 'currentPassword',
      });
    }
    if (!(await this.accounts.checkPassword(account, currentPassword))) {
      await this.events.record({ type: 'password_check_failed', accountId: account.id, ip: client.ip, details: { purpose: 'first_factor' } });
      throw new AuthError('invalid_credentials', 'The current password is wrong.');
    }
  }

  private async accountOf(accountId: string): Promise<Account> {
    const account = await this.accounts.findById(accountId);
    if (!account) throw new AuthError('invalid_token', 'The account of this token no longer exists.');
    return account;
  }

  /** Every factor or recovery-code change is mailed to the owner (in the background). */
  private async mailOwner(accountId: string, send: (to: string) => Promise<void>): Promise<void> {
    const account = await this.accounts.findById(accountId);
    if (account) void send(account.email);
  }

  /** Everything the reset removes and its audit row commit together: a failing audit means no reset. */
  async adminReset(adminId: string, accountId: string, reason: string, client: ClientInfo): Promise<{ removedFactors: number; removedRecoveryCodes: number }> {
    const account = await this.accounts.findById(accountId);
    if (!account) throw new AuthError('account_not_found', 'No such account.');
    const result = await this.events.audited(async (tx) => {
      const removedFactors = (await this.totp.removeAllFor(accountId, tx)) + (await this.webauthn.removeAllFor(accountId, tx));
      const removedRecoveryCodes = await this.recoveryCodes.deleteAllFor(accountId, tx);
      await this.attempts.reset(accountId, tx);
      // Whoever holds the old factors may be signed in: every session ends, every remembered device is forgotten.
      const { revokedSessions } = await this.revocation.revokeAccount(accountId, 'factors_reset', { actorId: adminId, ip: client.ip }, tx);
      const details = { reason, removedFactors, removedRecoveryCodes, revokedSessions: revokedSessions.length };
      return {
        result: { removedFactors, removedRecoveryCodes },
        events: [{ type: 'admin_factors_reset', accountId, actorId: adminId, ip: client.ip, details }],
      };
    });
    // Mail only for a reset that happened.
    void this.notifier.factorsReset(account.email, reason);
    return result;
  }
}

/** How a mail names a factor. */
function kindOf(factor: FactorView): string {
  if (factor.type === 'totp') return 'authenticator app';
  return factor.passkey ? 'passkey' : 'security key';
}
