import { MediumContext, startMedium } from '../../test/support/medium';
import { KeyCheckRepository } from './key-check.repository';

describe(KeyCheckRepository.name, () => {
  let ctx: MediumContext;
  const sut = new KeyCheckRepository();

  beforeAll(async () => {
    ctx = await startMedium();
  });

  afterAll(async () => {
    await ctx?.close();
  });

  it('keeps the first writer’s value per key id, and deletes the values of key ids no longer named', async () => {
    await sut.insertIfAbsent(ctx.em(), 'k1', 'first', ctx.clock.now());
    await sut.insertIfAbsent(ctx.em(), 'k1', 'second', ctx.clock.now());
    await sut.insertIfAbsent(ctx.em(), 'k2', 'other', ctx.clock.now());
    expect(await sut.find(ctx.em(), 'k1')).toBe('first');
    expect(await sut.find(ctx.em(), 'k3')).toBeUndefined();
    expect(await sut.all(ctx.em())).toEqual(
      new Map([
        ['k1', 'first'],
        ['k2', 'other'],
      ]),
    );
    await sut.deleteAllBut(ctx.em(), ['k2']);
    expect(await sut.all(ctx.em())).toEqual(new Map([['k2', 'other']]));
  });
});
