import { MediumContext, startMedium } from '../../test/support/medium';
import { ReleaseRepository } from './release.repository';

describe(ReleaseRepository.name, () => {
  let ctx: MediumContext;
  const sut = new ReleaseRepository();

  beforeAll(async () => {
    ctx = await startMedium();
  });

  afterAll(async () => {
    await ctx.close();
  });

  it('adds releases with the caller flush, counts them and locks one for a change', async () => {
    const before = await sut.count(ctx.em());
    await ctx.transaction(async (em) => {
      sut.add(em, { version: '9.0.0', channel: 'stable', releasedAt: ctx.clock.now() });
      sut.add(em, { version: '9.0.1', channel: 'stable', releasedAt: ctx.clock.now() });
    });
    expect(await sut.count(ctx.em())).toBe(before + 2);
    expect((await sut.all(ctx.em())).map((r) => r.version)).toEqual(expect.arrayContaining(['9.0.0', '9.0.1']));
    await ctx.transaction(async (em) => {
      const release = await sut.lock(em, '9.0.1');
      expect(release?.channel).toBe('stable');
      if (release) release.yanked = true;
    });
    expect((await sut.all(ctx.em())).find((r) => r.version === '9.0.1')?.yanked).toBe(true);
    expect(await ctx.transaction((em) => sut.lock(em, '0.0.0'))).toBeNull();
  });

  it('serialises changes of one release on its row lock', async () => {
    await ctx.transaction(async (em) => {
      sut.add(em, { version: '9.1.0', channel: 'stable', releasedAt: ctx.clock.now() });
    });
    const order: string[] = [];
    let release!: () => void;
    let locked!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const firstLocked = new Promise<void>((resolve) => (locked = resolve));
    const first = ctx.transaction(async (em) => {
      await sut.lock(em, '9.1.0');
      order.push('first locked');
      locked();
      await held;
      order.push('first done');
    });
    await firstLocked;
    const second = ctx.transaction(async (em) => {
      await sut.lock(em, '9.1.0');
      order.push('second locked');
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['first locked', 'first done', 'second locked']);
  });
});
