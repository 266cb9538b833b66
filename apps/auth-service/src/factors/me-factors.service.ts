import { Injectable } from '@nestjs/common';
import { AccountsService } from '../accounts/accounts.service';
import { AuthError } from '../app/auth-errors';
import { ClientInfo } from '../common/request-context';
import { SecurityNotifier } from '../notifications/security-notifier';
import { RecoveryCodesService } from '../recovery-codes/recovery-codes.service';
import { SecondFactorAttempts } from '../second-factors/second-factor-attempts';
import { SecondFactorRegistry } from '../second-factors/second-factor-registry';
import { SecurityEventsService } from '../security-events/security-events.service';
import { WebAuthnFactorsService } from '../webauthn/webauthn-factors.service';
import type { PublicKeyCredentialCreationOptionsJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { FactorView, TotpEnrolment, TotpFactorsService } from './totp-factors.service';

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
  ) {}

  async list(accountId: string): Promise<FactorView[]> {
    const all = [...(await this.totp.list(accountId)), ...(await this.webauthn.list(accountId))];
    return all.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  async webauthnOptions(accountId: string, passkey: boolean): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const account = await this.accounts.findById(accountId);
    if (!account) throw new AuthError('invalid_token', 'The account of this token no longer exists.');
    return this.webauthn.registrationOptions(account, passkey);
  }

  /** Like a TOTP confirmation: the first confirmed factor brings the recovery codes. */
  async registerWebauthn(accountId: string, name: string, response: RegistrationResponseJSON, client: ClientInfo): Promise<{ factor: FactorView; recoveryCodes?: string[] }> {
    const factor = await this.webauthn.register(accountId, name, response, client);
    const recoveryCodes = await this.recoveryCodes.issueInitialSet(accountId);
    return recoveryCodes ? { factor, recoveryCodes } : { factor };
  }

  async enrolTotp(accountId: string, name: string, client: ClientInfo): Promise<TotpEnrolment> {
    const account = await this.accounts.findById(accountId);
    if (!account) throw new AuthError('invalid_token', 'The account of this token no longer exists.');
    return this.totp.enrol(account, name, client);
  }

  async confirmTotp(accountId: string, id: string, code: string, client: ClientInfo): Promise<{ factor: FactorView; recoveryCodes?: string[] }> {
    const factor = await this.totp.confirm(accountId, id, code, client);
    const recoveryCodes = await this.recoveryCodes.issueInitialSet(accountId);
    return recoveryCodes ? { factor, recoveryCodes } : { factor };
  }

  async remove(accountId: string, id: string, client: ClientInfo): Promise<void> {
    const removed = (await this.totp.remove(accountId, id, client)) || (await this.webauthn.remove(accountId, id, client));
    if (!removed) throw new AuthError('factor_not_found', 'No such factor on your account.');
    // Recovery codes stand in for a factor; with none left they would be a password-only back door.
    if (!(await this.registry.hasConfirmedFactor(accountId))) await this.recoveryCodes.deleteAllFor(accountId);
  }

  async adminReset(adminId: string, accountId: string, reason: string, client: ClientInfo): Promise<{ removedFactors: number; removedRecoveryCodes: number }> {
    const account = await this.accounts.findById(accountId);
    if (!account) throw new AuthError('account_not_found', 'No such account.');
    const removedFactors = (await this.totp.removeAllFor(accountId)) + (await this.webauthn.removeAllFor(accountId));
    const removedRecoveryCodes = await this.recoveryCodes.deleteAllFor(accountId);
    await this.attempts.reset(accountId);
    await this.events.record({ type: 'admin_factors_reset', accountId, actorId: adminId, ip: client.ip, details: { reason, removedFactors, removedRecoveryCodes } });
    void this.notifier.factorsReset(account.email, reason);
    return { removedFactors, removedRecoveryCodes };
  }
}
