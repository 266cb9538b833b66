import { Client } from 'pg';
import { createTestDatabase, TestDatabase } from '@keyhaven/testing';
import { Job, JobQueue } from './job-queue';

/** Resolves when `check` holds, polling a real queue (never a fixed sleep). */
async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function setup() {
  const database = await createTestDatabase({ schema: 'jobs_test', entities: [], migrations: [] });
  const sut = new JobQueue({ connectionString: database.url, schema: 'jobs_test_boss', pollingIntervalSeconds: 0.5 });
  await sut.start([{ name: 'dead' }, { name: 'work' }, { name: 'flaky', retryLimit: 2, retryDelay: 0, retryBackoff: false, deadLetter: 'dead' }]);
  return { sut, database };
}

describe(JobQueue.name, () => {
  let sut: JobQueue;
  let database: TestDatabase;

  beforeAll(async () => {
    ({ sut, database } = await setup());
  });

  afterAll(async () => {
    await sut?.stop();
    await database?.drop();
  });

  it('hands a job to a worker once', async () => {
    const seen: Job<{ n: number }>[] = [];
    sut.work<{ n: number }>('work', {}, async (job) => {
      seen.push(job);
    });
    const id = await sut.send('work', { n: 1 });
    await eventually(() => seen.length === 1);
    expect(seen[0]!.id).toBe(id);
    await eventually(async () => (await sut.getJob('work', id!))?.state === 'completed');
  });

  it('adds the queues of a later start to the running queue (features of a service share one)', async () => {
    await sut.start([{ name: 'later', retryLimit: 1 }]);
    const seen: number[] = [];
    sut.work<{ n: number }>('later', {}, async (job) => {
      seen.push(job.data.n);
    });
    await sut.send('later', { n: 7 });
    await eventually(() => seen.length === 1);
    expect(seen).toEqual([7]);
  });

  it('creates one job for a repeated id', async () => {
    const id = '00000000-0000-4000-8000-00000000abcd';
    const first = await sut.send('dead', { n: 2 }, { id, startAfter: new Date(Date.now() + 3_600_000) });
    const second = await sut.send('dead', { n: 2 }, { id, startAfter: new Date(Date.now() + 3_600_000) });
    expect(first).toBe(id);
    expect(second).toBeNull();
  });

  it('retries a failing job, then moves it to the dead-letter queue', async () => {
    let attempts = 0;
    const dead: Job<{ n: number }>[] = [];
    sut.work<{ n: number }>('dead', {}, async (job) => {
      if (job.data.n === 3) dead.push(job);
    });
    sut.work<{ n: number }>('flaky', {}, async () => {
      attempts++;
      throw new Error('receiver down');
    });
    await sut.send('flaky', { n: 3 });
    await eventually(() => dead.length === 1);
    expect(attempts).toBe(3); // the first try and two retries
    expect(dead[0]!.data).toEqual({ n: 3 });
  });

  it("inserts jobs on the caller's transaction, so a rollback leaves none", async () => {
    const client = new Client({ connectionString: database.url });
    await client.connect();
    const db = { executeSql: (text: string, values: unknown[]) => client.query(text, values) };
    const id = '00000000-0000-4000-8000-00000000beef';
    await client.query('begin');
    await sut.insert([{ id, name: 'dead', data: { n: 4 }, startAfter: new Date(Date.now() + 3_600_000) }], db);
    await client.query('rollback');
    expect(await sut.getJob('dead', id)).toBeNull();
    await client.query('begin');
    await sut.insert([{ id, name: 'dead', data: { n: 4 }, startAfter: new Date(Date.now() + 3_600_000) }], db);
    await client.query('commit');
    expect(await sut.getJob('dead', id)).toMatchObject({ id, state: 'created' });
    await client.end();
  });

  describe('workBatches', () => {
    // An interval far longer than any test: whatever runs here ran without waiting for a poll.
    async function slowQueue(schema: string) {
      const queue = new JobQueue({ connectionString: database.url, schema, pollingIntervalSeconds: 3600 });
      await queue.start([{ name: 'batch', retryLimit: 1, retryDelay: 0, retryBackoff: false }]);
      return queue;
    }

    it('fetches again at once while batches come back full, and completes every job', async () => {
      const queue = await slowQueue('jobs_test_batches');
      try {
        await queue.insert(Array.from({ length: 95 }, (_, n) => ({ name: 'batch', data: { n } })));
        const batches: number[] = [];
        queue.workBatches<{ n: number }>('batch', { batchSize: 10 }, async (jobs) => {
          batches.push(jobs.length);
          return [];
        });
        await eventually(() => batches.reduce((sum, size) => sum + size, 0) === 95);
        expect(batches).toEqual([10, 10, 10, 10, 10, 10, 10, 10, 10, 5]);
        await eventually(async () => (await queue.queueSize('batch')) === 0);
      } finally {
        await queue.stop();
      }
    });

    it('shares a busy queue among several loops, each job handled once', async () => {
      const queue = await slowQueue('jobs_test_loops');
      try {
        await queue.insert(Array.from({ length: 200 }, (_, n) => ({ name: 'batch', data: { n } })));
        const seen: number[] = [];
        let inFlight = 0;
        let mostInFlight = 0;
        queue.workBatches<{ n: number }>('batch', { batchSize: 10, loops: 4 }, async (jobs) => {
          mostInFlight = Math.max(mostInFlight, ++inFlight);
          await new Promise((resolve) => setTimeout(resolve, 20)); // a batch waits on its receivers
          seen.push(...jobs.map((job) => job.data.n));
          inFlight--;
          return [];
        });
        await eventually(() => seen.length === 200);
        expect(new Set(seen).size).toBe(200);
        expect(mostInFlight).toBeGreaterThan(1); // the sleeping loops were woken by full batches
      } finally {
        await queue.stop();
      }
    });

    it('retries only the jobs a batch reports as failed, with their reason', async () => {
      const queue = await slowQueue('jobs_test_batch_failures');
      try {
        const attempts = new Map<number, number>();
        queue.workBatches<{ n: number }>('batch', { batchSize: 10 }, async (jobs) => {
          for (const job of jobs) attempts.set(job.data.n, (attempts.get(job.data.n) ?? 0) + 1);
          return jobs.filter((job) => job.data.n % 2 === 1).map((job) => ({ id: job.id, error: `odd ${job.data.n}` }));
        });
        const ids = await Promise.all([0, 1, 2, 3].map((n) => queue.send('batch', { n })));
        queue.notify('batch');
        await eventually(async () => (await queue.getJob('batch', ids[3]!))?.state === 'retry');
        queue.notify('batch'); // retries are due at once (retryDelay 0) but the worker sleeps until told
        await eventually(async () => (await queue.getJob('batch', ids[3]!))?.state === 'failed');
        expect(Object.fromEntries(attempts)).toEqual({ 0: 1, 1: 2, 2: 1, 3: 2 }); // retryLimit 1: odd ones ran twice
        expect(await queue.getJob('batch', ids[0]!)).toMatchObject({ state: 'completed' });
        expect(await queue.getJob('batch', ids[1]!)).toMatchObject({ state: 'failed', output: { message: 'odd 1' } });
      } finally {
        await queue.stop();
      }
    });

    it('wakes an idle worker on notify() instead of waiting for its next poll', async () => {
      const queue = await slowQueue('jobs_test_notify');
      try {
        const seen: number[] = [];
        queue.workBatches<{ n: number }>('batch', { batchSize: 5 }, async (jobs) => {
          seen.push(...jobs.map((job) => job.data.n));
          return [];
        });
        await eventually(async () => (await queue.queueSize('batch')) === 0); // the first, empty fetch is over
        await queue.send('batch', { n: 7 });
        queue.notify('batch');
        await eventually(() => seen.includes(7));
      } finally {
        await queue.stop();
      }
    });

    it('stops within its timeout when a handler never settles; the job stays active to expire and run again', async () => {
      const queue = await slowQueue('jobs_test_stop');
      let started = false;
      queue.workBatches<{ n: number }>('batch', { batchSize: 1 }, () => {
        started = true;
        return new Promise<never>(() => undefined);
      });
      const id = await queue.send('batch', { n: 1 });
      queue.notify('batch');
      await eventually(() => started);
      await queue.stop(500);
      const check = new JobQueue({ connectionString: database.url, schema: 'jobs_test_stop' });
      await check.start([]);
      expect(await check.getJob('batch', id!)).toMatchObject({ state: 'active' });
      await check.stop();
    });
  });
});
