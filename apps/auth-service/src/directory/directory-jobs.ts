import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { JobQueue } from '@keyhaven/jobs';
import { AUTH_CONFIG, AuthConfig } from '../config/auth.config';
import { syncCron } from './directory.config';
import { DIRECTORY_SYNC_QUEUE, DirectorySyncJob, DirectorySyncService } from './directory-sync.service';

/**
 * The sync's jobs on auth-service's durable queue (pg-boss in schema `auth_jobs`, the one the
 * privacy jobs use: AuthJobsModule), started as an explicit boot step after the migrations when
 * LDAP_URL is set: the schedule (LDAP_SYNC_INTERVAL as a UTC cron, one job per tick across all
 * replicas) and the worker for scheduled and requested runs. A run whose
 * worker dies expires and is retried; the run row makes the retry pick up the same run.
 */
@Injectable()
export class DirectoryJobs implements OnModuleDestroy {
  private readonly logger = new Logger(DirectoryJobs.name);
  private started = false;

  constructor(
    private readonly queue: JobQueue,
    private readonly sync: DirectorySyncService,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
  ) {}

  async start(): Promise<void> {
    const directory = this.config.directory;
    // The queue is shared with the privacy jobs (AuthJobsModule): this adds the sync's queue to it.
    if (!directory || this.started) return;
    this.started = true;
    // A run reads the whole directory: allow it many timeouts' worth before pg-boss calls it dead.
    const expireInSeconds = Math.max(600, Math.ceil((directory.timeoutMs * 20) / 1000));
    await this.queue.start([{ name: DIRECTORY_SYNC_QUEUE, retryLimit: 2, retryDelay: 30, retryBackoff: true, expireInSeconds }]);
    this.queue.work<DirectorySyncJob>(DIRECTORY_SYNC_QUEUE, { batchSize: 1 }, (job) => this.sync.handle(job.data));
    const cron = syncCron(directory.syncIntervalMs);
    if (cron) {
      await this.queue.schedule(DIRECTORY_SYNC_QUEUE, cron);
      this.logger.log(`Directory sync scheduled at "${cron}" UTC (LDAP_SYNC_INTERVAL)`);
    } else {
      await this.queue.unschedule(DIRECTORY_SYNC_QUEUE);
      this.logger.log('Directory sync on demand only (LDAP_SYNC_INTERVAL=0)');
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.queue.stop();
  }
}
