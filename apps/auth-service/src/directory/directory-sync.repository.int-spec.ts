import { randomUUID } from 'node:crypto';
import { MediumContext, startMedium } from '../../test/support/medium';
import { DirectorySyncRepository, NewRun } from './directory-sync.repository';
import type { SyncCounts } from './entities/directory-sync-run.entity';

describe(DirectorySyncRepository.name, () => {
  let ctx: MediumContext;
  const sut = new DirectorySyncRepository();
  const later = (ms: number) => new Date(ctx.clock.nowMs() + ms);
  const run = (overrides: Partial<NewRun> = {}): NewRun => ({
    id: randomUUID(),
    trigger: 'schedule',
    dryRun: false,
    forced: false,
    requestedBy: undefined,
    startedAt: ctx.clock.now(),
    ...overrides,
  });

  beforeAll(async () => {
    ctx = await startMedium();
  });

  afterAll(async () => {
    await ctx?.close();
  });

  it('starts one running run at a time, also when two start together', async () => {
    const [a, b] = [run(), run()];
    expect((await Promise.all([sut.start(ctx.em(), a), sut.start(ctx.em(), b)])).filter(Boolean)).toHaveLength(1);
    const running = await sut.runningRun(ctx.em());
    expect([a.id, b.id]).toContain(running?.id);
    expect(await sut.start(ctx.em(), run())).toBe(false);
    await sut.finish(ctx.em(), running?.id as string, { status: 'aborted', finishedAt: ctx.clock.now(), abortReason: 'test' });
    expect(await sut.runningRun(ctx.em())).toBeUndefined();
  });

  it('records progress and the end of a running run only; a finished run keeps its report', async () => {
    const r = run({ trigger: 'admin', requestedBy: (await ctx.newAccount()).id, dryRun: true });
    expect(await sut.start(ctx.em(), r)).toBe(true);
    await sut.progress(ctx.em(), r.id, 40);
    const counts: SyncCounts = { directoryUsers: 40, linkedAccounts: 5, locked: 1, unlocked: 0, updated: 3, roleChanges: 2, reported: 0 };
    await sut.finish(ctx.em(), r.id, { status: 'completed', finishedAt: later(1000), counts, actions: [] });
    await sut.progress(ctx.em(), r.id, 99);
    await sut.finish(ctx.em(), r.id, { status: 'aborted', finishedAt: later(2000), abortReason: 'late' });
    expect(await sut.find(ctx.em(), r.id)).toMatchObject({
      id: r.id,
      status: 'completed',
      trigger: 'admin',
      dryRun: true,
      usersRead: 40,
      counts,
      abortReason: null,
      actions: [],
      finishedAt: later(1000).toISOString(),
    });
    expect(await sut.find(ctx.em(), randomUUID())).toBeUndefined();
  });

  it('ends its run with the caller transaction or not at all', async () => {
    const r = run();
    expect(await sut.start(ctx.em(), r)).toBe(true);
    await expect(
      ctx.transaction(async (tx) => {
        await sut.finish(tx, r.id, { status: 'completed', finishedAt: ctx.clock.now() });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect((await sut.find(ctx.em(), r.id))?.status).toBe('running');
    await ctx.transaction((tx) => sut.finish(tx, r.id, { status: 'completed', finishedAt: ctx.clock.now() }));
    expect((await sut.find(ctx.em(), r.id))?.status).toBe('completed');
  });

  it('aborts a run whose worker died, only when it started before the cutoff', async () => {
    const r = run({ startedAt: later(-3_600_000) });
    expect(await sut.start(ctx.em(), r)).toBe(true);
    expect(await sut.abortStale(ctx.em(), later(-7_200_000), ctx.clock.now())).toBe(0);
    expect(await sut.abortStale(ctx.em(), later(-60_000), ctx.clock.now())).toBe(1);
    expect(await sut.find(ctx.em(), r.id)).toMatchObject({ status: 'aborted', abortReason: 'the run did not finish (its worker stopped)' });
  });

  it('lists runs newest first and knows the last completed real run', async () => {
    const dry = run({ dryRun: true, startedAt: later(10_000) });
    const real = run({ startedAt: later(5_000) });
    for (const r of [real, dry]) {
      expect(await sut.start(ctx.em(), r)).toBe(true);
      await sut.finish(ctx.em(), r.id, { status: 'completed', finishedAt: r.startedAt });
    }
    expect((await sut.list(ctx.em(), 2)).map((r) => r.id)).toEqual([dry.id, real.id]);
    expect((await sut.lastCompleted(ctx.em()))?.id).toBe(real.id);
  });
});
