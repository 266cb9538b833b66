import { Injectable } from '@nestjs/common';
import { Clock } from '@keyhaven/config';
import { AccountRepository } from '../accounts/account.repository';
import { AuthError } from '../app/auth-errors';
import { ClientInfo } from '../common/request-context';
import { SecurityEventRepository } from '../security-events/security-event.repository';
import { SecurityEventsService } from '../security-events/security-events.service';
import { PersonalDataRepository } from './personal-data.repository';

export const EXPORT_SCHEMA = 'keyhaven.export/v1';
const EXPORT_INTERVAL_MS = 3_600_000;

/**
 * Art. 15/20: a copy of everything stored about the caller, as JSON (`keyhaven.export/v1`) — the
 * account, factor metadata (never a secret, hash or public key), the number of recovery codes
 * left, sessions, remembered devices and security events, and where the records of processing
 * are. At most one per account per hour; the export is itself a security event, written in the
 * transaction that read the data (so an export is never handed out unaudited).
 */
@Injectable()
export class ExportService {
  constructor(
    private readonly data: PersonalDataRepository,
    private readonly accounts: AccountRepository,
    private readonly securityEvents: SecurityEventRepository,
    private readonly events: SecurityEventsService,
    private readonly clock: Clock,
  ) {}

  async export(accountId: string, recordsUrl: string, client: ClientInfo): Promise<Record<string, unknown>> {
    const now = this.clock.now();
    return this.events.audited(async (tx) => {
      // The lock queues two exports of one account, so both cannot pass the hourly check.
      if (!(await this.accounts.lock(tx, accountId))) throw new AuthError('invalid_token', 'The account of this token no longer exists.');
      const last = await this.securityEvents.lastAt(tx, accountId, 'data_exported');
      if (last && now.getTime() - last.getTime() < EXPORT_INTERVAL_MS) {
        const retryAfter = Math.max(1, Math.ceil((last.getTime() + EXPORT_INTERVAL_MS - now.getTime()) / 1000));
        throw new AuthError(
          'too_many_exports',
          'You can download your data once an hour.',
          { retryAfterSeconds: retryAfter },
          { 'Retry-After': String(retryAfter) },
        );
      }
      const data = await this.data.exportOf(tx, accountId);
      if (!data) throw new AuthError('invalid_token', 'The account of this token no longer exists.');
      return {
        result: { schema: EXPORT_SCHEMA, exportedAt: now.toISOString(), ...data, recordsOfProcessing: recordsUrl },
        events: [{ type: 'data_exported' as const, accountId, ip: client.ip }],
      };
    });
  }
}
