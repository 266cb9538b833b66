import { ThrottlerStorageService } from '@nestjs/throttler';
import { SlidingLogThrottlerStorage } from './throttler-storage';

/** The library reports a meaningless (negative) timeToBlockExpire when nothing is blocked; ours says 0. */
function comparable<T extends { isBlocked: boolean; timeToBlockExpire: number }>(answer: T): T {
  return answer.isBlocked ? answer : { ...answer, timeToBlockExpire: 0 };
}

describe('SlidingLogThrottlerStorage', () => {
  beforeEach(() => jest.useFakeTimers({ now: new Date('2026-11-30T12:00:00Z') }));
  afterEach(() => jest.useRealTimers());

  /** The same calls, spread over time, on ours and on the library's own storage. */
  async function bothAnswer(steps: { advanceMs: number; key?: string; ttl?: number; limit?: number; block?: number }[]) {
    const ours = new SlidingLogThrottlerStorage();
    const library = new ThrottlerStorageService();
    const answers: { ours: unknown; library: unknown }[] = [];
    for (const step of steps) {
      jest.advanceTimersByTime(step.advanceMs);
      const args = [step.key ?? '203.0.113.7', step.ttl ?? 10_000, step.limit ?? 3, step.block ?? step.ttl ?? 10_000, 'sign-in'] as const;
      answers.push({ ours: await ours.increment(...args), library: comparable(await library.increment(...args)) });
    }
    ours.onModuleDestroy();
    library.onApplicationShutdown();
    return answers;
  }

  it('counts, blocks past the limit, and starts afresh after the block exactly like @nestjs/throttler', async () => {
    const steps = [0, 100, 100, 100, 100, 2_000, 8_000, 1_000, 1_000, 500, 500, 20_000, 1, 1].map((advanceMs) => ({ advanceMs }));
    const answers = await bothAnswer(steps);
    for (const { ours, library } of answers) expect(ours).toEqual(library);
    // At 0.3 s the fourth hit within 10 s passes the limit of 3: blocked until 10.3 s. At 10.4 s the
    // caller starts afresh; its fourth hit since (12.9 s) blocks it again, until 22.9 s.
    expect(answers.map(({ ours }) => (ours as { isBlocked: boolean }).isBlocked)).toEqual([
      false,
      false,
      false,
      true,
      true,
      true,
      false,
      false,
      false,
      true,
      true,
      false,
      false,
      false,
    ]);
  });

  it('lets hits expire one by one (a sliding log, not a fixed window) like the library', async () => {
    const steps = [0, 4_000, 4_000, 2_001, 1, 4_000, 4_000].map((advanceMs) => ({ advanceMs, limit: 2, block: 0 }));
    const answers = await bothAnswer(steps);
    for (const { ours, library } of answers) expect(ours).toEqual(library);
    expect(answers.map(({ ours }) => (ours as { isBlocked: boolean }).isBlocked)).toContain(true);
  });

  it('keeps callers apart and forgets those whose hits have all expired', async () => {
    const storage = new SlidingLogThrottlerStorage();
    await storage.increment('a', 1_000, 1, 1_000, 'sign-in');
    await storage.increment('a', 1_000, 1, 1_000, 'sign-in');
    expect((await storage.increment('b', 1_000, 1, 1_000, 'sign-in')).isBlocked).toBe(false);
    expect(storage.size).toBe(2);
    storage.sweep(Date.now() + 500);
    expect(storage.size).toBe(2);
    storage.sweep(Date.now() + 1_001);
    expect(storage.size).toBe(0);
    storage.onModuleDestroy();
  });

  it('stays cheap with many hits from one caller: the log is compacted, not copied per request', async () => {
    const ours = new SlidingLogThrottlerStorage();
    const library = new ThrottlerStorageService();
    for (let i = 0; i < 5_000; i += 1) {
      jest.advanceTimersByTime(1);
      const args = ['office-nat', 1_000, 1_000_000, 1_000, 'sign-in'] as const;
      const [mine, theirs] = [await ours.increment(...args), comparable(await library.increment(...args))];
      if (i % 500 === 499) expect(mine).toEqual(theirs);
    }
    // Alive: the 1,000 hits of the last second (the one made exactly a second ago has expired), and this one.
    expect((await ours.increment('office-nat', 1_000, 1_000_000, 1_000, 'sign-in')).totalHits).toBe(1_001);
    ours.onModuleDestroy();
    library.onApplicationShutdown();
  });
});
