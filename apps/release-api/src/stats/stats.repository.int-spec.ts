import { MediumContext, startMedium } from '../../test/support/medium';
import { StatsRepository } from './stats.repository';

describe(StatsRepository.name, () => {
  let ctx: MediumContext;
  const sut = new StatsRepository();
  const count = (day: string, version: string, n: number) => ({ day, version, channel: 'stable', edition: 'ce', count: n });

  beforeAll(async () => {
    ctx = await startMedium();
  });

  afterAll(async () => {
    await ctx.close();
  });

  it('adds counts to those already stored (one upsert), and writes nothing for none', async () => {
    await sut.addCounts(ctx.em(), []);
    await sut.addCounts(ctx.em(), [count('2026-11-26', '14.2.1', 3), count('2026-11-27', '14.2.1', 1)]);
    await sut.addCounts(ctx.em(), [count('2026-11-27', '14.2.1', 4), count('2026-11-27', '13.4.2', 2)]);
    expect(await sut.between(ctx.em(), '2026-11-26', '2026-11-27')).toEqual([
      count('2026-11-27', '14.2.1', 5),
      count('2026-11-27', '13.4.2', 2),
      count('2026-11-26', '14.2.1', 3),
    ]);
    expect(await sut.between(ctx.em(), '2026-11-27', '2026-11-27')).toHaveLength(2);
  });

  it('deletes the days before a cutoff only', async () => {
    await sut.addCounts(ctx.em(), [count('2026-10-01', '12.0.0', 1), count('2026-10-02', '12.0.0', 1)]);
    await sut.deleteBefore(ctx.em(), '2026-10-02');
    expect(await sut.between(ctx.em(), '0001-01-01', '2026-10-31')).toEqual([count('2026-10-02', '12.0.0', 1)]);
  });
});
