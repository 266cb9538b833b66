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
  await sut.start([
    { name: 'dead' },
    { name: 'work' },
    { name: 'flaky', retryLimit: 2, retryDelay: 0, retryBackoff: false, deadLetter: 'dead' },
  ]);
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
    await sut.work<{ n: number }>('work', {}, async (job) => {
      seen.push(job);
    });
    const id = await sut.send('work', { n: 1 });
    await eventually(() => seen.length === 1);
    expect(seen[0]!.id).toBe(id);
    await eventually(async () => (await sut.getJob('work', id!))?.state === 'completed');
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
    await sut.work<{ n: number }>('dead', {}, async (job) => {
      if (job.data.n === 3) dead.push(job);
    });
    await sut.work<{ n: number }>('flaky', {}, async () => {
      attempts++;
      throw new Error('receiver down');
    });
    await sut.send('flaky', { n: 3 });
    await eventually(() => dead.length === 1);
    expect(attempts).toBe(3); // the first try and two retries
    expect(dead[0]!.data).toEqual({ n: 3 });
  });

  it('inserts jobs on the caller\'s transaction, so a rollback leaves none', async () => {
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
});
