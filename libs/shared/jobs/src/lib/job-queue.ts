import { Logger } from '@nestjs/common';
import PgBoss from 'pg-boss';

export interface JobQueueOptions {
  connectionString: string;
  /** PostgreSQL schema for pg-boss's tables, owned by one service (e.g. `release_jobs`). */
  schema: string;
  /** How often idle workers poll, in seconds (pg-boss's minimum is 0.5). */
  pollingIntervalSeconds?: number;
  /** Connections in pg-boss's own pool. */
  poolMax?: number;
  /**
   * How often pg-boss runs its maintenance, in seconds (default 120): among other things it
   * fails jobs whose worker died (`expireInSeconds` passed), so they are retried.
   */
  maintenanceIntervalSeconds?: number;
}

export interface QueueDefinition {
  name: string;
  retryLimit?: number;
  /** Seconds before the first retry; doubled per attempt when `retryBackoff` is on. */
  retryDelay?: number;
  retryBackoff?: boolean;
  /** Seconds a job may run before pg-boss considers the worker dead and retries it. */
  expireInSeconds?: number;
  /** Queue that receives a job once its retries are exhausted. */
  deadLetter?: string;
}

export type Job<T> = PgBoss.Job<T>;
export type JobInsert<T extends object> = PgBoss.JobInsert<T>;
/** A connection to run pg-boss statements on, so jobs commit or roll back with other writes. */
export type JobDb = PgBoss.Db;

/**
 * Durable jobs in PostgreSQL (pg-boss): work planned for later survives crashes and deploys,
 * and with several replicas each job is fetched by exactly one worker (`SKIP LOCKED`).
 * pg-boss installs and migrates its own schema on `start()`, which the service calls as an
 * explicit boot step after its own migrations.
 */
export class JobQueue {
  private readonly logger = new Logger('JobQueue');
  private readonly boss: PgBoss;
  private started = false;

  constructor(private readonly options: JobQueueOptions) {
    // pg-boss 10 rejects `monitorStateIntervalSeconds: undefined`: leave unset options out.
    this.boss = new PgBoss({
      connectionString: options.connectionString,
      schema: options.schema,
      max: options.poolMax ?? 5,
      application_name: `keyhaven-${options.schema}`,
      ...(options.maintenanceIntervalSeconds === undefined ? {} : { maintenanceIntervalSeconds: options.maintenanceIntervalSeconds }),
    });
    this.boss.on('error', (error) => this.logger.error(`pg-boss: ${error.message}`));
  }

  async start(queues: readonly QueueDefinition[]): Promise<void> {
    if (this.started) return;
    await this.boss.start();
    this.started = true;
    // Dead-letter queues first: a queue may only name one that exists.
    const ordered = [...queues].sort((a, b) => Number(Boolean(a.deadLetter)) - Number(Boolean(b.deadLetter)));
    for (const queue of ordered) {
      const { name, ...options } = queue;
      if (await this.boss.getQueue(name)) await this.boss.updateQueue(name, { name, ...options });
      else await this.boss.createQueue(name, { name, ...options });
    }
    this.logger.log(`Job queue ready in schema "${this.options.schema}" (${queues.map((q) => q.name).join(', ')})`);
  }

  get isStarted(): boolean {
    return this.started;
  }

  /** Sends one job; with `id` set, sending the same id twice creates one job (returns null the second time). */
  send<T extends object>(name: string, data: T, options: PgBoss.SendOptions = {}): Promise<string | null> {
    return this.boss.send(name, data, options);
  }

  /** Inserts many jobs in one statement, optionally on the caller's transaction connection. */
  insert<T extends object>(jobs: JobInsert<T>[], db?: JobDb): Promise<void> {
    return db ? this.boss.insert(jobs, { db }) : this.boss.insert(jobs);
  }

  /** Handles jobs of a queue; a thrown error fails the job, which pg-boss retries per the queue. */
  async work<T>(name: string, options: { batchSize?: number }, handler: (job: Job<T>) => Promise<void>): Promise<string> {
    return this.boss.work<T>(
      name,
      { batchSize: options.batchSize ?? 1, pollingIntervalSeconds: this.options.pollingIntervalSeconds ?? 1 },
      async (jobs) => {
        // With a batch, pg-boss completes or fails the whole batch: settle each job on its own.
        const [only] = jobs;
        if (jobs.length === 1 && only) return handler(only);
        await Promise.all(
          jobs.map((job) =>
            handler(job).then(
              () => this.boss.complete(name, job.id),
              (error: unknown) => this.boss.fail(name, job.id, { message: error instanceof Error ? error.message : String(error) }),
            ),
          ),
        );
        return undefined;
      },
    );
  }

  getJob<T>(name: string, id: string) {
    return this.boss.getJobById<T>(name, id, { includeArchive: true });
  }

  retry(name: string, ids: string[]): Promise<void> {
    return this.boss.retry(name, ids);
  }

  queueSize(name: string): Promise<number> {
    return this.boss.getQueueSize(name);
  }

  /** Waits for running handlers to finish (up to `timeoutMs`), then closes the pool. */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await new Promise<void>((resolve) => {
      this.boss.once('stopped', () => resolve());
      void this.boss.stop({ graceful: true, wait: false, timeout: timeoutMs });
    });
  }
}
