import { MediumContext, startMedium } from '../../test/support/medium';
import { KeyCheckRepository } from './key-check.repository';
import { SigningKeyRepository } from './signing-key.repository';

describe(SigningKeyRepository.name, () => {
  let ctx: MediumContext;
  const sut = new SigningKeyRepository();
  const key = (kid: string) => ({ kid, publicX: `x-${kid}`, privateEncrypted: `sealed-${kid}`, createdAt: ctx.clock.now() });

  beforeAll(async () => {
    ctx = await startMedium();
  });

  afterAll(async () => {
    await ctx.close();
  });

  it('retires the active key when a new one is inserted and lists the active key first, then the most recently retired', async () => {
    expect(await sut.count(ctx.em())).toBe(0);
    await ctx.transaction((em) => sut.insert(em, key('k1')));
    ctx.clock.advance(1000);
    expect(await ctx.transaction(async (em) => [await sut.retireActive(em, ctx.clock.now()), await sut.insert(em, key('k2'))][0])).toEqual(['k1']);
    ctx.clock.advance(1000);
    expect(await ctx.transaction(async (em) => [await sut.retireActive(em, ctx.clock.now()), await sut.insert(em, key('k3'))][0])).toEqual(['k2']);

    const keys = await sut.all(ctx.em());
    expect(keys.map((k) => [k.kid, k.retiredAt?.getTime() ?? null])).toEqual([
      ['k3', null],
      ['k2', ctx.clock.nowMs()],
      ['k1', ctx.clock.nowMs() - 1000],
    ]);
    expect(await sut.count(ctx.em())).toBe(3);
    expect(await sut.sealedKeys(ctx.em(), 10, true)).toHaveLength(3);
    expect(await sut.sealedKeys(ctx.em(), 1, false)).toHaveLength(1);
  });

  it('lets one of two parallel first-key creations through the creation lock', async () => {
    await ctx.sql('delete from release.signing_key');
    const create = (kid: string) =>
      ctx.transaction(async (em) => {
        await sut.lockCreation(em);
        if ((await sut.count(em)) > 0) return false;
        await sut.insert(em, key(kid));
        return true;
      });
    expect((await Promise.all([create('a'), create('b')])).filter(Boolean)).toHaveLength(1);
    expect(await sut.count(ctx.em())).toBe(1);
  });
});

describe(KeyCheckRepository.name, () => {
  let ctx: MediumContext;
  const sut = new KeyCheckRepository();

  beforeAll(async () => {
    ctx = await startMedium();
  });

  afterAll(async () => {
    await ctx.close();
  });

  it('keeps the first writer of a key-check value', async () => {
    expect(await sut.find(ctx.em(), 'sealing_key')).toBeUndefined();
    await sut.insertIfAbsent(ctx.em(), { name: 'sealing_key', fingerprint: 'first', checkSealed: 'a', createdAt: ctx.clock.now() });
    await sut.insertIfAbsent(ctx.em(), { name: 'sealing_key', fingerprint: 'second', checkSealed: 'b', createdAt: ctx.clock.now() });
    expect(await sut.find(ctx.em(), 'sealing_key')).toEqual({ fingerprint: 'first', check_sealed: 'a' });
  });
});
