import { Injectable } from '@nestjs/common';
import { Clock } from '@keyhaven/config';
import { AccountsService } from '../accounts/accounts.service';
import { AuthError } from '../app/auth-errors';
import { truncateIp } from '../common/client-ip';
import { ClientInfo } from '../common/request-context';
import { SecurityNotifier } from '../notifications/security-notifier';
import { SecurityEventsService } from '../security-events/security-events.service';
import { deviceLabel } from '../sessions/device-label';
import { SessionRevocation } from '../sessions/session-revocation';
import type { TokenClaims } from '../sessions/token-claims';

/**
 * `POST /v1/me/password`: what every security mail tells a worried user to do. It proves the
 * current password (a stolen session alone cannot take the account over), applies the sign-up
 * strength rules, and — in the same transaction — ends every other session and forgets every
 * remembered device, so whoever had the old password is out everywhere.
 */
@Injectable()
export class PasswordChangeService {
  constructor(
    private readonly accounts: AccountsService,
    private readonly revocation: SessionRevocation,
    private readonly events: SecurityEventsService,
    private readonly notifier: SecurityNotifier,
    private readonly clock: Clock,
  ) {}

  async change(
    user: TokenClaims,
    currentPassword: string,
    newPassword: string,
    client: ClientInfo,
  ): Promise<{ revokedSessions: number; forgottenDevices: number }> {
    const account = await this.accounts.findById(user.sub);
    if (!account) throw new AuthError('invalid_token', 'The account of this token no longer exists.');
    // A directory account's password lives in the directory (checked by a bind at every sign-in);
    // a local hash would be a second, stale password that outlives a change or a lock there.
    if (account.directoryId) {
      throw new AuthError('password_managed_by_directory', "This account signs in with your organisation's directory: change the password there.");
    }
    if (!(await this.accounts.checkPassword(account, currentPassword))) {
      await this.events.record({ type: 'password_check_failed', accountId: account.id, ip: client.ip, details: { purpose: 'password_change' } });
      throw new AuthError('invalid_credentials', 'The current password is wrong.');
    }
    this.accounts.assertStrongPassword(newPassword, account.email);
    const passwordHash = await this.accounts.hashPassword(newPassword);
    const result = await this.events.audited(async (tx) => {
      await this.accounts.setPasswordHash(account.id, passwordHash, tx);
      const ended = await this.revocation.revokeAccount(account.id, 'password_changed', { ip: client.ip, ...(user.sid ? { keep: user.sid } : {}) }, tx);
      return {
        result: { revokedSessions: ended.revokedSessions.length, forgottenDevices: ended.forgottenDevices },
        events: [
          {
            type: 'password_changed' as const,
            accountId: account.id,
            ip: client.ip,
            details: { revokedSessions: ended.revokedSessions.length, forgottenDevices: ended.forgottenDevices },
          },
        ],
      };
    });
    void this.notifier.passwordChanged(account.email, { at: this.clock.now(), device: deviceLabel(client.userAgent), network: truncateIp(client.ip) });
    return result;
  }
}
