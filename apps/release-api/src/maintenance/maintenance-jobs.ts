import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { JobQueue } from '@keyhaven/jobs';
import { Mailer } from '@keyhaven/mail';
import { RELEASE_CONFIG, ReleaseConfig } from '../config/release.config';
import {
  DEAD_DELIVERY_QUEUE,
  DELIVERY_QUEUE,
  DeliveryJob,
  maintenanceQueues,
  NOTICE_QUEUE,
  NoticeJob,
  RETENTION_CRON,
  RETENTION_QUEUE,
} from './maintenance-queues';
import { MaintenanceRetention } from './maintenance-retention';
import { NoticeDispatcher } from './notice-dispatcher';

/**
 * The job queue's life: started as an explicit boot step after the migrations (pg-boss creates
 * or migrates its schema `release_jobs`, the queues, then the workers start polling), stopped
 * gracefully before the database pool closes.
 */
@Injectable()
export class MaintenanceJobs implements OnModuleDestroy {
  private readonly logger = new Logger(MaintenanceJobs.name);

  constructor(
    private readonly queue: JobQueue,
    private readonly dispatcher: NoticeDispatcher,
    private readonly retention: MaintenanceRetention,
    private readonly mailer: Mailer,
    @Inject(RELEASE_CONFIG) private readonly config: ReleaseConfig,
  ) {}

  async start(): Promise<void> {
    if (this.queue.isStarted) return;
    await this.queue.start(maintenanceQueues(this.config));
    this.queue.work<NoticeJob>(NOTICE_QUEUE, { batchSize: 5 }, (job) => this.dispatcher.fanOut(job.data.noticeId).then(() => undefined));
    // Each loop fetches a batch, sends it in parallel and fetches again at once while the queue is
    // busy; several loops keep the pipe full while one batch waits on its slowest receiver.
    const { deliveryWorkers: loops, deliveryBatch: batchSize } = this.config.maintenance;
    this.queue.workBatches<DeliveryJob>(DELIVERY_QUEUE, { batchSize, loops }, async (jobs) => {
      const failures = await this.dispatcher.deliver(jobs.map((job) => job.data.deliveryId));
      return jobs.flatMap((job) => {
        const error = failures.get(job.data.deliveryId);
        return error === undefined ? [] : [{ id: job.id, error }];
      });
    });
    this.queue.work<DeliveryJob>(DEAD_DELIVERY_QUEUE, { batchSize: 20 }, (job) => this.dispatcher.markDead(job.data.deliveryId));
    await this.queue.schedule(RETENTION_QUEUE, RETENTION_CRON);
    this.queue.work(RETENTION_QUEUE, {}, () => this.retention.prune().then(() => undefined));
    this.logger.log(`Notice workers started (${NOTICE_QUEUE}, ${DELIVERY_QUEUE}, ${DEAD_DELIVERY_QUEUE}, ${RETENTION_QUEUE} at "${RETENTION_CRON}" UTC)`);
  }

  /** Before the ORM closes: running handlers finish, then pg-boss's pool closes. */
  async onModuleDestroy(): Promise<void> {
    await this.queue.stop();
    this.mailer.close();
  }
}
