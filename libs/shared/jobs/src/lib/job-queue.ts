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
  /**
   * How long finished jobs stay in pg-boss's archive before its maintenance deletes them
   * (default 7 days): job data names accounts and deliveries, so it is not kept for ever.
   */
  deleteArchivedAfterSeconds?: number;
}

/** pg-boss deletes archived (finished) jobs this long after they were archived: 7 days. */
export const JOB_ARCHIVE_SECONDS = 7 * 86_400;

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

/** A job of a batch that did not succeed, and why; pg-boss retries it per its queue's policy. */
export interface JobFailure {
  id: string;
  error: string;
}

/**
 * Settles a batch of jobs: resolves with the jobs that failed (all others succeeded). A handler
 * that throws fails the whole batch.
 */
export type BatchHandler<T> = (jobs: Job<T>[]) => Promise<JobFailure[]>;

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
  private readonly workers: BatchWorker[] = [];

  constructor(private readonly options: JobQueueOptions) {
    // pg-boss 10 rejects `monitorStateIntervalSeconds: undefined`: leave unset options out.
    this.boss = new PgBoss({
      connectionString: options.connectionString,
      schema: options.schema,
      max: options.poolMax ?? 5,
      application_name: `keyhaven-${options.schema}`,
      deleteAfterSeconds: options.deleteArchivedAfterSeconds ?? JOB_ARCHIVE_SECONDS,
      ...(options.maintenanceIntervalSeconds === undefined ? {} : { maintenanceIntervalSeconds: options.maintenanceIntervalSeconds }),
    });
    this.boss.on('error', (error) => this.logger.error(`pg-boss: ${error.message}`));
  }

  /**
   * Starts pg-boss (once) and creates or updates `queues`. Several features of a service may
   * share one queue (one pool, one maintenance and cron supervisor): each calls `start` with its
   * own queues, and a later call only adds (or updates) those.
   */
  async start(queues: readonly QueueDefinition[]): Promise<void> {
    if (!this.started) {
      await this.boss.start();
      this.started = true;
    }
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

  /**
   * Handles jobs of a queue one by one (`batchSize` of them in parallel); a thrown error fails
   * that job, which pg-boss retries per the queue.
   */
  work<T>(name: string, options: { batchSize?: number }, handler: (job: Job<T>) => Promise<void>): void {
    this.workBatches<T>(name, options, async (jobs) => {
      const outcomes = await Promise.all(
        jobs.map((job) =>
          handler(job).then(
            () => undefined,
            (error: unknown): JobFailure => ({ id: job.id, error: messageOf(error) }),
          ),
        ),
      );
      return outcomes.filter((failure) => failure !== undefined);
    });
  }

  /**
   * Handles jobs of a queue in batches on loops of our own rather than pg-boss's `work()`,
   * which waits a whole polling interval after every batch, busy queue or not (20 jobs per
   * interval per worker). A loop fetches again at once while batches come back full, settles a
   * batch with one `complete` for all its successes, and sleeps only when the queue ran dry —
   * until the interval passes or `notify()` says new jobs were queued.
   *
   * With `loops` > 1 the others run batches in parallel, but only the first polls while the
   * queue is idle: the rest sleep until a full batch shows there is more work, so an idle
   * service costs one poll per queue and interval, not one per loop.
   */
  workBatches<T>(name: string, options: { batchSize?: number; loops?: number }, handler: BatchHandler<T>): void {
    if (!this.started) throw new Error('start() the job queue before adding workers');
    const batchSize = options.batchSize ?? 1;
    const loops = options.loops ?? 1;
    for (let i = 0; i < loops; i++) {
      const interval = i === 0 ? (this.options.pollingIntervalSeconds ?? 1) : undefined;
      const worker = new BatchWorker(name, interval, async () => {
        const jobs = await this.boss.fetch<T>(name, { batchSize });
        if (jobs.length === batchSize) this.notify(name); // more waiting, likely: wake the sleepers
        if (jobs.length === 0) return false;
        await this.settle(name, jobs, handler);
        return jobs.length === batchSize;
      });
      this.workers.push(worker);
      worker.start((error) => this.logger.error(`Worker of ${name}: ${messageOf(error)}`));
    }
  }

  /** Wakes this process's idle workers of `name` (after queueing jobs for them). */
  notify(name: string): void {
    for (const worker of this.workers) if (worker.name === name) worker.notify();
  }

  private async settle<T>(name: string, jobs: Job<T>[], handler: BatchHandler<T>): Promise<void> {
    let failures: JobFailure[];
    try {
      failures = await handler(jobs);
    } catch (error) {
      failures = jobs.map((job) => ({ id: job.id, error: messageOf(error) }));
    }
    const failed = new Set(failures.map((failure) => failure.id));
    const done = jobs.filter((job) => !failed.has(job.id)).map((job) => job.id);
    // If these statements do not reach the database the jobs stay active, expire and run again:
    // handlers are idempotent, so that costs a repeat, never a loss.
    if (done.length > 0) await this.boss.complete(name, done);
    // Failures are the exception and each keeps its own reason: one statement each.
    for (const failure of failures) await this.boss.fail(name, failure.id, { message: failure.error });
  }

  /**
   * Sends a job to `name` on a cron schedule (UTC), once per tick across all replicas (pg-boss
   * keeps schedules in its schema and sends each tick as a singleton). Idempotent: scheduling
   * again replaces the cron.
   */
  schedule(name: string, cron: string): Promise<void> {
    return this.boss.schedule(name, cron, {}, { tz: 'UTC' });
  }

  /** Removes the cron of `name` (no-op when it has none). */
  unschedule(name: string): Promise<void> {
    return this.boss.unschedule(name);
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

  /**
   * Stops fetching, waits for running batches to settle (up to `timeoutMs`; an unsettled job
   * expires and runs again later), then closes pg-boss's pool.
   */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (!this.started) return;
    this.started = false;
    const workers = this.workers.splice(0);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([Promise.all(workers.map((worker) => worker.stop())), timedOut]);
    // `wait: true` resolves when pg-boss has closed (or rejects), rather than an event that an
    // error during shutdown would never emit.
    await Promise.race([
      this.boss.stop({ graceful: false, wait: true }).catch((error: unknown) => this.logger.error(`pg-boss stop: ${messageOf(error)}`)),
      timedOut,
    ]);
    clearTimeout(timer);
  }
}

/** One fetch loop: runs `step` back to back while it reports more work, else idles until woken. */
class BatchWorker {
  private stopping = false;
  private notified = false;
  private wake: (() => void) | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(
    readonly name: string,
    /** Undefined: sleeps until notified. */
    private readonly intervalSeconds: number | undefined,
    /** One fetch and settle; true when the queue may hold more jobs right now. */
    private readonly step: () => Promise<boolean>,
  ) {}

  start(onError: (error: unknown) => void): void {
    this.running = (async () => {
      while (!this.stopping) {
        this.notified = false;
        let more = false;
        try {
          more = await this.step();
        } catch (error) {
          onError(error);
        }
        if (!more && !this.notified && !this.stopping) await this.idle();
      }
    })();
  }

  notify(): void {
    this.notified = true;
    this.wake?.();
  }

  stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    return this.running;
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.intervalSeconds === undefined ? undefined : setTimeout(() => this.wake?.(), this.intervalSeconds * 1000);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
