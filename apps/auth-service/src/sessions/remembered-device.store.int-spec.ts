import { randomBytes } from 'node:crypto';
import { MediumContext, startMedium } from '../../test/support/medium';
import { RememberedDeviceStore } from './remembered-device.store';

describe(RememberedDeviceStore.name, () => {
  let ctx: MediumContext;
  const sut = new RememberedDeviceStore();
  const later = (ms: number) => new Date(ctx.clock.nowMs() + ms);
  const remember = (accountId: string, expiresInMs = 86_400_000, tokenHash = randomBytes(32)) =>
    sut
      .remember(ctx.em(), {
        accountId,
        tokenHash,
        deviceLabel: 'Firefox on Linux',
        network: '203.0.113.0/24',
        now: ctx.clock.now(),
        expiresAt: later(expiresInMs),
      })
      .then((id) => ({ id, tokenHash }));

  beforeAll(async () => {
    ctx = await startMedium();
  });

  afterAll(async () => {
    await ctx?.close();
  });

  it('answers the device a token names, marking it used only for its own account', async () => {
    const [owner, other] = [await ctx.newAccount(), await ctx.newAccount()];
    const device = await remember(owner.id);

    // Presented with another account's password: named (so the caller can record it), not marked used.
    expect(await sut.use(ctx.em(), device.tokenHash, other.id, ctx.clock.now())).toEqual({ id: device.id, accountId: owner.id });
    expect((await sut.list(ctx.em(), owner.id, ctx.clock.now()))[0]?.lastUsedAt).toBeNull();

    ctx.clock.advance(60_000);
    expect(await sut.use(ctx.em(), device.tokenHash, owner.id, ctx.clock.now())).toEqual({ id: device.id, accountId: owner.id });
    expect((await sut.list(ctx.em(), owner.id, ctx.clock.now()))[0]?.lastUsedAt).toEqual(ctx.clock.now());
    expect(await sut.use(ctx.em(), randomBytes(32), owner.id, ctx.clock.now())).toBeUndefined();
  });

  it('does not answer, list or keep an expired device', async () => {
    const account = await ctx.newAccount();
    const expired = await remember(account.id, -1);
    const alive = await remember(account.id);
    expect(await sut.use(ctx.em(), expired.tokenHash, account.id, ctx.clock.now())).toBeUndefined();
    expect((await sut.list(ctx.em(), account.id, ctx.clock.now())).map((d) => d.id)).toEqual([alive.id]);
    expect(await sut.pruneExpired(ctx.em(), ctx.clock.now())).toBeGreaterThanOrEqual(1);
    expect(await ctx.sql('select 1 from auth.remembered_device where id = ?', [expired.id])).toHaveLength(0);
    expect(await ctx.sql('select 1 from auth.remembered_device where id = ?', [alive.id])).toHaveLength(1);
  });

  it("forgets one device of the account, never another account's, and all of them at once", async () => {
    const [owner, other] = [await ctx.newAccount(), await ctx.newAccount()];
    const [first, second] = [await remember(owner.id), await remember(owner.id)];
    expect(await sut.forget(ctx.em(), other.id, first.id)).toBe(false);
    expect(await sut.forget(ctx.em(), owner.id, 'not-a-uuid')).toBe(false);
    expect(await sut.forget(ctx.em(), owner.id, first.id)).toBe(true);
    expect((await sut.list(ctx.em(), owner.id, ctx.clock.now())).map((d) => d.id)).toEqual([second.id]);
    await remember(owner.id);
    expect(await sut.forgetAll(ctx.em(), owner.id)).toBe(2);
    expect(await sut.list(ctx.em(), owner.id, ctx.clock.now())).toEqual([]);
  });
});
