import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { Clock } from '@keyhaven/config';
import type { RetentionReport } from '@keyhaven/database';
import { JobQueue } from '@keyhaven/jobs';
import { AccountRepository } from '../accounts/account.repository';
import { ErasureService } from './erasure.service';
import { ERASURE_QUEUE, ErasureJob, PRIVACY_QUEUES, RETENTION_CRON, RETENTION_QUEUE } from './privacy-queues';
import { RetentionService } from './retention.service';

/** How far this replica's clock may lag the database's before a deletion job gives up waiting (the daily run then erases it). */
const SKEW_TOLERANCE_MS = 3_600_000;

/**
 * auth-service's privacy jobs on its durable queue (pg-boss, schema `auth_jobs`, shared with the
 * directory sync through AuthJobsModule): started as an explicit boot step after the
 * migrations, stopped before the database pool closes. A cron tick is sent once across
 * replicas and each job is fetched by one worker (`SKIP LOCKED`); a job whose worker died is
 * retried. Handlers are idempotent (an erasure re-checks the account under a row lock).
 */
@Injectable()
export class PrivacyJobs implements OnModuleDestroy {
  private readonly logger = new Logger(PrivacyJobs.name);
  private started = false;

  constructor(
    private readonly queue: JobQueue,
    private readonly retention: RetentionService,
    private readonly erasure: ErasureService,
    private readonly accounts: AccountRepository,
    private readonly em: EntityManager,
    private readonly clock: Clock,
  ) {}

  async start(): Promise<void> {
    // The queue is shared (AuthJobsModule): started or not, it is this feature's to add its queues.
    if (this.started) return;
    this.started = true;
    await this.queue.start(PRIVACY_QUEUES);
    await this.queue.schedule(RETENTION_QUEUE, RETENTION_CRON);
    this.queue.work(RETENTION_QUEUE, {}, () => this.daily().then(() => undefined));
    this.queue.work<ErasureJob>(ERASURE_QUEUE, { batchSize: 5 }, (job) => this.eraseScheduled(job.data));
    this.logger.log(`Privacy jobs started (${RETENTION_QUEUE} at "${RETENTION_CRON}" UTC, ${ERASURE_QUEUE})`);
  }

  /**
   * A deletion job: pg-boss holds it until the scheduled time by the database's clock. Should this
   * service's clock lag a little behind, the job fails and pg-boss retries it (60 s, 120 s, …)
   * rather than completing without erasing; a deletion cancelled or moved meanwhile just ends.
   */
  private async eraseScheduled(job: ErasureJob): Promise<void> {
    if (await this.erasure.eraseIfDue(job.accountId)) return;
    const lead = new Date(job.scheduledAt).getTime() - this.clock.nowMs();
    if (lead > 0 && lead < SKEW_TOLERANCE_MS && (await this.accounts.isScheduledFor(this.em.fork(), job.accountId, new Date(job.scheduledAt)))) {
      throw new Error(`deletion of ${job.accountId} not yet due by this replica's clock; retried`);
    }
  }

  /**
   * The daily run: deletions whose grace passed (a safety net behind their own jobs — e.g. a job
   * that ran early against a clock that was wrong), then the retention rules.
   */
  async daily(): Promise<{ erased: number; report: RetentionReport }> {
    let erased = 0;
    for (const accountId of await this.accounts.dueErasures(this.em.fork(), this.clock.now())) {
      if (await this.erasure.eraseIfDue(accountId)) erased += 1;
    }
    return { erased, report: await this.retention.run() };
  }

  async onModuleDestroy(): Promise<void> {
    await this.queue.stop();
  }
}
