import { randomUUID } from 'node:crypto';
import { MediumContext, startMedium } from '../../test/support/medium';
import { TotpFactorRepository } from './totp-factor.repository';

describe(TotpFactorRepository.name, () => {
  let ctx: MediumContext;
  const sut = new TotpFactorRepository();
  const factor = async (accountId: string, confirmed: boolean) => {
    const id = randomUUID();
    await sut.insert(ctx.em(), { id, accountId, name: `phone-${id.slice(0, 8)}`, secretSealed: `v1.k1.${id}`, createdAt: ctx.clock.now() });
    if (confirmed) expect(await ctx.transaction((t) => sut.confirm(t, id, accountId, 100, ctx.clock.now()))).toBe(true);
    return id;
  };

  beforeAll(async () => {
    ctx = await startMedium();
  });

  afterAll(async () => {
    await ctx?.close();
  });

  it('confirms a pending factor of its owner once, and lists confirmed ones apart', async () => {
    const account = await ctx.newAccount();
    const other = await ctx.newAccount();
    const pending = await factor(account.id, false);
    expect(await sut.hasConfirmed(ctx.em(), account.id)).toBe(false);
    expect(await ctx.transaction((t) => sut.confirm(t, pending, other.id, 100, ctx.clock.now()))).toBe(false);
    expect(await ctx.transaction((t) => sut.confirm(t, pending, account.id, 100, ctx.clock.now()))).toBe(true);
    expect(await ctx.transaction((t) => sut.confirm(t, pending, account.id, 101, ctx.clock.now()))).toBe(false);
    const unconfirmed = await factor(account.id, false);
    expect((await sut.listConfirmed(ctx.em(), account.id)).map((f) => f.id)).toEqual([pending]);
    expect((await sut.listFor(ctx.em(), account.id)).map((f) => f.id).sort()).toEqual([pending, unconfirmed].sort());
    expect(await sut.hasConfirmed(ctx.em(), account.id)).toBe(true);
    expect(await sut.findOwned(ctx.em(), pending, other.id)).toBeNull();
  });

  it('takes each step once and only steps newer than the last (the confirming one included); one of parallel takes wins', async () => {
    const account = await ctx.newAccount();
    const id = await factor(account.id, true);
    expect(await sut.consumeStep(ctx.em(), id, 100, ctx.clock.now())).toBe(false);
    expect(await sut.consumeStep(ctx.em(), id, 101, ctx.clock.now())).toBe(true);
    expect(await sut.consumeStep(ctx.em(), id, 101, ctx.clock.now())).toBe(false);
    expect(await sut.consumeStep(ctx.em(), id, 99, ctx.clock.now())).toBe(false);
    const racing = await Promise.all(Array.from({ length: 5 }, () => ctx.transaction((t) => sut.consumeStep(t, id, 102, ctx.clock.now()))));
    expect(racing.filter(Boolean)).toHaveLength(1);
    const pending = await factor(account.id, false);
    expect(await sut.consumeStep(ctx.em(), pending, 500, ctx.clock.now())).toBe(false);
  });

  it('deletes one factor of its owner only, or all of an account', async () => {
    const account = await ctx.newAccount();
    const stranger = await ctx.newAccount();
    const one = await factor(account.id, true);
    await factor(account.id, false);
    await factor(account.id, false);
    expect(await ctx.transaction((t) => sut.delete(t, one, stranger.id))).toBe(false);
    expect(await ctx.transaction((t) => sut.delete(t, one, account.id))).toBe(true);
    expect(await ctx.transaction((t) => sut.delete(t, one, account.id))).toBe(false);
    expect(await ctx.transaction((t) => sut.deleteAllFor(t, account.id))).toBe(2);
    expect(await sut.listFor(ctx.em(), account.id)).toEqual([]);
  });

  it('replaces a sealed secret only when it still holds the value read (a compare-and-set)', async () => {
    const account = await ctx.newAccount();
    const id = await factor(account.id, true);
    expect(await sut.replaceSealed(ctx.em(), id, 'stale', 'v1.k2.new')).toBe(false);
    expect(await sut.replaceSealed(ctx.em(), id, `v1.k1.${id}`, 'v1.k2.new')).toBe(true);
    expect((await sut.all(ctx.em())).find((f) => f.id === id)?.secretSealed).toBe('v1.k2.new');
  });

  it('reads its sealed secrets for the key check: the key ids in use, one value per key id, a sample', async () => {
    await ctx.sql('delete from auth.totp_factor');
    const account = await ctx.newAccount();
    const first = await factor(account.id, false);
    const second = await factor(account.id, false);
    await ctx.sql(`update auth.totp_factor set secret_sealed = 'v1.k2.other' where id = ?`, [second]);
    expect(await sut.sealedSecrets.kidCounts(ctx.em())).toEqual(
      new Map([
        ['k1', 1],
        ['k2', 1],
      ]),
    );
    expect(await sut.sealedSecrets.firstUnder(ctx.em(), 'k1')).toEqual({ id: first, sealed: `v1.k1.${first}` });
    expect(await sut.sealedSecrets.firstUnder(ctx.em(), 'k3')).toBeUndefined();
    expect((await sut.sealedSecrets.sample(ctx.em(), 10)).map((row) => row.id).sort()).toEqual([first, second].sort());
    expect(await sut.sealedSecrets.sample(ctx.em(), 1)).toHaveLength(1);
  });
});
