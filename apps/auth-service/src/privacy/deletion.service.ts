import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '@keyhaven/config';
import { JobQueue, transactionJobDb } from '@keyhaven/jobs';
import { AccountRepository } from '../accounts/account.repository';
import { AuthError } from '../app/auth-errors';
import { ClientInfo } from '../common/request-context';
import { AUTH_CONFIG, AuthConfig } from '../config/auth.config';
import { SecurityNotifier } from '../notifications/security-notifier';
import { SecurityEventsService } from '../security-events/security-events.service';
import { SessionStore } from '../sessions/session.store';
import { DeletionLinks } from './deletion-links';
import { ERASURE_QUEUE, ErasureJob } from './privacy-queues';

/**
 * Self-service deletion (`DELETE /v1/me`): the account is scheduled for erasure after
 * AUTH_DELETION_GRACE. In one transaction: the date is set (a conditional write: asking twice is
 * 409), every session is revoked (its tokens stop at once, refresh tokens too), the event is
 * audited and the erasure job is queued — so a deletion never exists without its job. Until then
 * the account cannot sign in; the mail's signed link calls it off.
 */
@Injectable()
export class DeletionService {
  constructor(
    private readonly accounts: AccountRepository,
    private readonly sessions: SessionStore,
    private readonly events: SecurityEventsService,
    private readonly notifier: SecurityNotifier,
    private readonly links: DeletionLinks,
    private readonly jobs: JobQueue,
    private readonly clock: Clock,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
  ) {}

  async schedule(accountId: string, client: ClientInfo): Promise<{ erasureScheduledAt: string }> {
    const now = this.clock.now();
    const at = new Date(now.getTime() + this.config.privacy.deletionGraceMs);
    const email = await this.events.audited(async (tx) => {
      const account = await this.accounts.lock(tx, accountId);
      if (!account) throw new AuthError('invalid_token', 'The account of this token no longer exists.');
      if (account.erasureScheduledAt)
        throw new AuthError('deletion_already_scheduled', `This account is already scheduled for erasure on ${account.erasureScheduledAt.toISOString()}.`);
      if (account.roles.includes('admin') && (await this.accounts.otherAdmins(tx, accountId)) === 0) {
        throw new AuthError('last_admin', 'You are the last administrator; make another account an administrator first.');
      }
      if (!(await this.accounts.scheduleErasure(tx, accountId, at)))
        throw new AuthError('deletion_already_scheduled', 'This account is already scheduled for erasure.');
      await this.sessions.revoke(tx, accountId, 'account_deletion', now, {});
      // The job rides on this transaction; pg-boss holds it until `at`, and any replica runs it once.
      const job: ErasureJob = { accountId, scheduledAt: at.toISOString() };
      await this.jobs.insert([{ name: ERASURE_QUEUE, data: job, startAfter: at, singletonKey: `${accountId}:${at.getTime()}` }], transactionJobDb(tx));
      return {
        result: account.email,
        events: [{ type: 'account_deletion_requested' as const, accountId, ip: client.ip, details: { erasureScheduledAt: at.toISOString() } }],
      };
    });
    void this.notifier.deletionScheduled(email, at, this.links.url(accountId, at));
    return { erasureScheduledAt: at.toISOString() };
  }

  /** Whether a cancel link is genuine and still good (its deletion is pending and not yet due); never says why not. */
  async checkLink(token: unknown): Promise<{ accountId: string; scheduledAt: Date }> {
    const link = this.links.open(token);
    if (!link || link.scheduledAt.getTime() <= this.clock.nowMs()) throw linkNotFound();
    return link;
  }

  /** The link's POST: calls the deletion off. A link works once: afterwards its scheduling is gone (404). */
  async cancel(token: unknown, client: ClientInfo): Promise<void> {
    const link = await this.checkLink(token);
    const email = await this.events.audited(async (tx) => {
      const account = await this.accounts.lock(tx, link.accountId);
      if (!account || !(await this.accounts.cancelErasure(tx, link.accountId, link.scheduledAt))) throw linkNotFound();
      return { result: account.email, events: [{ type: 'account_deletion_cancelled' as const, accountId: link.accountId, ip: client.ip }] };
    });
    void this.notifier.deletionCancelled(email);
  }
}

const linkNotFound = () => new AuthError('link_not_found', 'This link is not valid (it may have expired or been used already).');
