import { MediumContext, startMedium } from '../../test/support/medium';
import { RecoveryCodeRepository } from './recovery-code.repository';

describe(RecoveryCodeRepository.name, () => {
  let ctx: MediumContext;
  const sut = new RecoveryCodeRepository();

  beforeAll(async () => {
    ctx = await startMedium();
  });

  afterAll(async () => {
    await ctx?.close();
  });

  it('stores a set, counts what remains, and spends each code once', async () => {
    const account = await ctx.newAccount();
    await ctx.transaction((t) => sut.insertSet(t, account.id, ['h1', 'h2', 'h3'], ctx.clock.now()));
    expect(await sut.count(ctx.em(), account.id)).toBe(3);
    expect(await sut.remaining(ctx.em(), account.id)).toBe(3);
    expect(await sut.consume(ctx.em(), account.id, 'h2', ctx.clock.now())).toBe(true);
    expect(await sut.consume(ctx.em(), account.id, 'h2', ctx.clock.now())).toBe(false);
    expect(await sut.consume(ctx.em(), (await ctx.newAccount()).id, 'h1', ctx.clock.now())).toBe(false);
    expect(await sut.remaining(ctx.em(), account.id)).toBe(2);
    expect(await sut.count(ctx.em(), account.id)).toBe(3);
  });

  it('lets one of parallel spends of a code win, and a spend rolled back with its transaction leaves the code', async () => {
    const account = await ctx.newAccount();
    await ctx.transaction((t) => sut.insertSet(t, account.id, ['h1', 'h2'], ctx.clock.now()));
    const racing = await Promise.all(Array.from({ length: 5 }, () => ctx.transaction((t) => sut.consume(t, account.id, 'h1', ctx.clock.now()))));
    expect(racing.filter(Boolean)).toHaveLength(1);
    await expect(
      ctx.transaction(async (t) => {
        expect(await sut.consume(t, account.id, 'h2', ctx.clock.now())).toBe(true);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await sut.remaining(ctx.em(), account.id)).toBe(1);
  });

  it('deletes an account’s set', async () => {
    const account = await ctx.newAccount();
    await ctx.transaction((t) => sut.insertSet(t, account.id, ['h1', 'h2'], ctx.clock.now()));
    expect(await ctx.transaction((t) => sut.deleteAllFor(t, account.id))).toBe(2);
    expect(await sut.count(ctx.em(), account.id)).toBe(0);
  });
});
