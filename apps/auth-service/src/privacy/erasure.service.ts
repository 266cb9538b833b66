import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { Clock } from '@keyhaven/config';
import { AccountRepository } from '../accounts/account.repository';
import { AuthError } from '../app/auth-errors';
import { ClientInfo } from '../common/request-context';
import { SecurityNotifier } from '../notifications/security-notifier';
import { SecurityEventsService } from '../security-events/security-events.service';
import type { ErasureRequester } from './entities/account-tombstone.entity';
import { isStaff, PersonalDataRepository, Tombstone } from './personal-data.repository';

export interface ErasureRequest {
  requestedBy: ErasureRequester;
  /** The admin's account id for an admin erasure. */
  requesterId?: string;
  reason: string;
}

export interface ErasureAnswer {
  accountId: string;
  erasedAt: string;
  securityEventsKept: number;
}

/**
 * Art. 17: what erasing an account means, in one transaction — the account row (email, password
 * hash) and everything hanging off it are deleted, its security events stay for their retention
 * under the random account id (the pseudonym) without user-chosen text, and a tombstone (id,
 * when, who asked, why) plus an `account_erased` event record it. A process killed half-way
 * leaves nothing done (the transaction never commits). The email may sign up again: it is a new
 * account with a new id.
 */
@Injectable()
export class ErasureService {
  private readonly logger = new Logger(ErasureService.name);

  constructor(
    private readonly data: PersonalDataRepository,
    private readonly accounts: AccountRepository,
    private readonly em: EntityManager,
    private readonly events: SecurityEventsService,
    private readonly notifier: SecurityNotifier,
    private readonly clock: Clock,
  ) {}

  /** `POST /v1/admin/accounts/:id/erase`: at once; refused for the last admin. */
  async eraseByAdmin(adminId: string, accountId: string, reason: string, client: ClientInfo): Promise<ErasureAnswer> {
    const answer = await this.erase(accountId, { requestedBy: 'admin', requesterId: adminId, reason }, client, { mustBeDue: false });
    if (!answer) throw new AuthError('account_not_found', 'No such account.');
    return answer;
  }

  /**
   * The deletion job (and the daily safety net): erases an account whose grace period has passed.
   * Idempotent and safe on several replicas: the account row is locked and re-checked, so a
   * cancelled deletion, a deletion rescheduled later, or one another replica already did is a no-op.
   */
  async eraseIfDue(accountId: string): Promise<boolean> {
    try {
      return (
        (await this.erase(
          accountId,
          { requestedBy: 'self', reason: 'self-service deletion after the grace period' },
          { ip: undefined },
          { mustBeDue: true },
        )) !== undefined
      );
    } catch (error) {
      // The last admin asked for their own deletion and no other admin appeared meanwhile: keep it.
      if (error instanceof AuthError && error.code === 'last_admin') {
        this.logger.warn(`Deletion of account ${accountId} postponed: it is the last admin`);
        return false;
      }
      throw error;
    }
  }

  /**
   * After a restore from backup: applies again every erasure of `tombstones` (from the backup
   * erasure ledger that `keyhaven-ops backup` keeps outside the database: `main.js
   * reapply-erasures`). Accounts that came back are erased again under their original erasure
   * time; missing tombstones are written back. Idempotent. Answers the ids erased again.
   */
  async reapply(tombstones: readonly Tombstone[]): Promise<{ erased: string[]; tombstonesRestored: number }> {
    const erased: string[] = [];
    let tombstonesRestored = 0;
    for (const tombstone of tombstones) {
      const outcome = await this.events.audited(async (tx) => {
        const account = await this.accounts.lock(tx, tombstone.accountId);
        if (!account) {
          const had = await this.data.tombstoneOf(tx, tombstone.accountId);
          if (!had) await this.data.erase(tx, tombstone); // no account: only the tombstone is written
          return { result: had ? 'none' : 'tombstone', events: [] };
        }
        // Whether it was staff is known again from the account the restore brought back.
        await this.data.erase(tx, { ...tombstone, operator: tombstone.operator || isStaff(account.roles) });
        return {
          result: 'erased',
          events: [
            {
              type: 'account_erased' as const,
              accountId: tombstone.accountId,
              actorId: tombstone.requesterId ?? tombstone.accountId,
              details: { requestedBy: tombstone.requestedBy, reapplied: true },
            },
          ],
        };
      });
      if (outcome === 'erased') erased.push(tombstone.accountId);
      if (outcome === 'tombstone') tombstonesRestored += 1;
    }
    if (erased.length > 0) this.logger.log(`Re-applied ${erased.length} erasure(s) a restore had undone`);
    return { erased, tombstonesRestored };
  }

  /** Every erasure still on record (its tombstone), ids and times only: the backup erasure ledger's source. */
  async ledger(): Promise<{ accountId: string; erasedAt: Date; requestedBy: ErasureRequester }[]> {
    const all: { accountId: string; erasedAt: Date; requestedBy: ErasureRequester }[] = [];
    let after: { erasedAt: Date; accountId: string } | undefined;
    for (;;) {
      const page = await this.data.tombstonesAfter(this.em.fork(), after, 1000);
      all.push(...page.map((t) => ({ accountId: t.accountId, erasedAt: t.erasedAt, requestedBy: t.requestedBy })));
      const last = page[page.length - 1];
      if (!last || page.length < 1000) return all;
      after = last;
    }
  }

  private async erase(accountId: string, request: ErasureRequest, client: ClientInfo, options: { mustBeDue: boolean }): Promise<ErasureAnswer | undefined> {
    const erasedAt = this.clock.now();
    const outcome = await this.events.audited(async (tx) => {
      const account = await this.accounts.lock(tx, accountId);
      if (!account || (options.mustBeDue && !(account.erasureScheduledAt && account.erasureScheduledAt <= erasedAt))) return { result: undefined, events: [] };
      if (account.roles.includes('admin') && (await this.accounts.otherAdmins(tx, accountId)) === 0) {
        throw new AuthError('last_admin', 'This is the last administrator; make another account an administrator first.');
      }
      const kept = await this.data.erase(tx, {
        accountId,
        erasedAt,
        requestedBy: request.requestedBy,
        requesterId: request.requesterId ?? null,
        reason: request.reason,
        operator: isStaff(account.roles),
      });
      return {
        result: { email: account.email, kept },
        events: [
          {
            type: 'account_erased' as const,
            accountId,
            actorId: request.requesterId ?? accountId,
            ip: client.ip,
            details: { requestedBy: request.requestedBy, ...(request.requestedBy === 'admin' ? { reason: request.reason } : {}) },
          },
        ],
      };
    });
    if (!outcome) return undefined;
    // The last mail to the address, sent after the commit; the address lives on only in the mail queue.
    void this.notifier.accountErased(outcome.email, request.requestedBy);
    this.logger.log(`Erased account ${accountId} (${request.requestedBy}); ${outcome.kept} security events kept under its id`);
    return { accountId, erasedAt: erasedAt.toISOString(), securityEventsKept: outcome.kept + 1 };
  }

  /**
   * The erasure feed: erasures of staff accounts (ops, admin) in order, for other services
   * (release-api pseudonymises its audit rows, which only staff write). Public, so it publishes
   * no one else's erasure: see docs/privacy.md, "The erasures feed".
   */
  async feed(after: string | undefined, limit: number): Promise<{ erasures: { accountId: string; erasedAt: string }[]; next: string | null }> {
    const cursor = decodeCursor(after);
    const rows = await this.data.tombstonesAfter(this.em.fork(), cursor, limit, true);
    const last = rows[rows.length - 1];
    return {
      erasures: rows.map((t) => ({ accountId: t.accountId, erasedAt: t.erasedAt.toISOString() })),
      next: last && rows.length === limit ? encodeCursor(last) : null,
    };
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function encodeCursor(t: Tombstone): string {
  return Buffer.from(`${t.erasedAt.toISOString()}|${t.accountId}`).toString('base64url');
}

function decodeCursor(text: string | undefined): { erasedAt: Date; accountId: string } | undefined {
  if (text === undefined || text === '') return undefined;
  const [at, id] = Buffer.from(text, 'base64url').toString('utf8').split('|');
  const erasedAt = new Date(at ?? '');
  if (!id || !UUID.test(id) || Number.isNaN(erasedAt.getTime())) throw new AuthError('validation_failed', 'after: not a cursor of this feed.');
  return { erasedAt, accountId: id };
}
