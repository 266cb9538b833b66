import type { EntityManager } from '@mikro-orm/postgresql';
import { ManualClock } from '@keyhaven/config';
import type { ReleaseConfig } from '../config/release.config';
import type { StatsRepository } from './stats.repository';
import { StatsService } from './stats.service';

function setup(start: string) {
  const written: { day: string; version: string; count: number }[] = [];
  const repository = {
    addCounts: (_em: unknown, counts: { day: string; version: string; count: number }[]) => {
      written.push(...counts.map(({ day, version, count }) => ({ day, version, count })));
      return Promise.resolve();
    },
    deleteBefore: () => Promise.resolve(),
  } as unknown as StatsRepository;
  const clock = new ManualClock(start);
  const em = { fork: () => ({}) } as unknown as EntityManager;
  const config = { stats: { retentionMs: 30 * 86_400_000, flushMs: 60_000 } } as ReleaseConfig;
  return { sut: new StatsService(em, repository, clock, config), ctx: { clock, written } };
}

describe(StatsService.name, () => {
  describe('count', () => {
    it('counts each check on the UTC day the clock is on, across midnight and back', async () => {
      const { sut, ctx } = setup('2026-11-30T23:59:59.999Z');
      sut.count('14.2.1', 'stable', 'community');
      ctx.clock.advance(1);
      sut.count('14.2.1', 'stable', 'community');
      sut.count('14.2.1', 'stable', 'community');
      ctx.clock.set('2026-11-29T12:00:00Z'); // a clock set back (tests, a corrected host clock)
      sut.count('14.2.1', 'stable', 'community');
      await sut.flush();
      expect(ctx.written).toEqual([
        { day: '2026-11-30', version: '14.2.1', count: 1 },
        { day: '2026-12-01', version: '14.2.1', count: 2 },
        { day: '2026-11-29', version: '14.2.1', count: 1 },
      ]);
    });
  });
});
