import { MediumContext, startMedium } from '../../test/support/medium';
import { ErasureSyncRepository } from './erasure-sync.repository';

describe(ErasureSyncRepository.name, () => {
  let ctx: MediumContext;
  const sut = new ErasureSyncRepository();

  beforeAll(async () => {
    ctx = await startMedium();
  });

  afterAll(async () => {
    await ctx.close();
  });

  it('has no cursor before the first page, then keeps the last one saved in its one row', async () => {
    expect(await sut.cursor(ctx.em())).toBeNull();
    await sut.saveCursor(ctx.em(), 'page-1');
    await sut.saveCursor(ctx.em(), 'page-2');
    expect(await sut.cursor(ctx.em())).toBe('page-2');
    expect(await ctx.sql('select count(*)::int as n from release.erasure_sync')).toEqual([{ n: 1 }]);
  });
});
