import { Injectable } from '@nestjs/common';
import { AccountsService } from '../accounts/accounts.service';
import { AuthError } from '../app/auth-errors';
import { ClientInfo } from '../common/request-context';
import { SessionRevocation } from '../sessions/session-revocation';

/** An admin signs a user out everywhere (a lost laptop, a departing employee). */
@Injectable()
export class AdminSessionsService {
  constructor(
    private readonly accounts: AccountsService,
    private readonly revocation: SessionRevocation,
  ) {}

  async revokeAll(adminId: string, accountId: string, client: ClientInfo): Promise<{ revokedSessions: number; forgottenDevices: number }> {
    if (!(await this.accounts.findById(accountId))) throw new AuthError('account_not_found', 'No such account.');
    const { revokedSessions, forgottenDevices } = await this.revocation.revokeAccount(accountId, 'revoked_by_admin', {
      actorId: adminId,
      ip: client.ip,
      auditAlways: true,
    });
    return { revokedSessions: revokedSessions.length, forgottenDevices };
  }
}
