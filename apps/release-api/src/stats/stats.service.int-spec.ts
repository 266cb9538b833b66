import type { ReleaseConfig } from '../config/release.config';
import { MediumContext, startMedium } from '../../test/support/medium';
import { StatsRepository } from './stats.repository';
import { StatsService } from './stats.service';

describe(StatsService.name, () => {
  let ctx: MediumContext;
  const repository = new StatsRepository();
  const config = { stats: { retentionMs: 30 * 86_400_000, flushMs: 60_000 } } as ReleaseConfig;
  const row = (day: string, count: number) => ({ day, version: '14.2.1', channel: 'stable', edition: 'community', count });

  beforeAll(async () => {
    ctx = await startMedium();
  });

  afterAll(async () => {
    await ctx.close();
  });

  describe('count', () => {
    it('counts each check on the UTC day the clock is on, across midnight and back, and writes them on flush', async () => {
      const sut = new StatsService(ctx.orm.em, repository, ctx.clock, config);
      ctx.clock.set('2026-11-30T23:59:59.999Z');
      sut.count('14.2.1', 'stable', 'community');
      ctx.clock.advance(1);
      sut.count('14.2.1', 'stable', 'community');
      sut.count('14.2.1', 'stable', 'community');
      ctx.clock.set('2026-11-29T12:00:00Z'); // a clock set back (tests, a corrected host clock)
      sut.count('14.2.1', 'stable', 'community');
      expect(await repository.between(ctx.em(), '2026-11-29', '2026-12-01')).toEqual([]);
      await sut.flush();
      const written = await repository.between(ctx.em(), '2026-11-29', '2026-12-01');
      expect(written).toHaveLength(3);
      expect(written).toEqual(expect.arrayContaining([row('2026-11-29', 1), row('2026-11-30', 1), row('2026-12-01', 2)]));
    });
  });
});
