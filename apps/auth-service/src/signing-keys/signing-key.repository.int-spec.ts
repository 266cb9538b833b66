import { MediumContext, startMedium } from '../../test/support/medium';
import { SigningKeyRepository } from './signing-key.repository';

describe(SigningKeyRepository.name, () => {
  let ctx: MediumContext;
  const sut = new SigningKeyRepository();
  const later = (ms: number) => new Date(ctx.clock.nowMs() + ms);
  const rotate = (kid: string, at: Date) =>
    ctx.transaction(async (t) => {
      await sut.lockCreation(t);
      await sut.retireActive(t, at);
      sut.add(t, { kid, publicJwk: { kty: 'EC', crv: 'P-256', x: `x-${kid}`, y: `y-${kid}` }, privateKeySealed: `v1.k1.${kid}`, createdAt: at });
      await t.flush();
    });

  beforeAll(async () => {
    ctx = await startMedium();
  });

  afterAll(async () => {
    await ctx?.close();
  });

  it('keeps one active key: a rotation retires the one before; published keys are the active one and those retired after a cutoff', async () => {
    expect(await sut.findActive(ctx.em())).toBeNull();
    await rotate('k1', later(0));
    await rotate('k2', later(60_000));
    await rotate('k3', later(120_000));
    expect((await sut.findActive(ctx.em()))?.kid).toBe('k3');
    expect((await sut.findByKid(ctx.em(), 'k1'))?.retiredAt?.getTime()).toBe(later(60_000).getTime());
    expect((await sut.published(ctx.em(), later(90_000))).map((k) => k.kid)).toEqual(['k3', 'k2']);
    expect((await sut.published(ctx.em(), later(0))).map((k) => k.kid)).toEqual(['k3', 'k2', 'k1']);
    expect(await sut.findByKid(ctx.em(), 'unknown')).toBeNull();
  });

  it('lets parallel rotations run one after another, leaving exactly one active key', async () => {
    await Promise.all(['p1', 'p2', 'p3'].map((kid) => rotate(kid, later(180_000))));
    expect((await sut.all(ctx.em())).filter((k) => !k.retiredAt)).toHaveLength(1);
  });

  it('replaces a sealed private key only when it still holds the value read', async () => {
    await rotate('k9', later(240_000));
    expect(await sut.replaceSealed(ctx.em(), 'k9', 'stale', 'v1.k2.new')).toBe(0);
    expect(await sut.replaceSealed(ctx.em(), 'k9', 'v1.k1.k9', 'v1.k2.new')).toBe(1);
    expect((await sut.findByKid(ctx.em(), 'k9'))?.privateKeySealed).toBe('v1.k2.new');
  });
});
