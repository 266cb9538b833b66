import { randomUUID } from 'node:crypto';
import { MediumContext, startMedium } from '../../test/support/medium';
import { SecurityEventRepository } from './security-event.repository';

describe(SecurityEventRepository.name, () => {
  let ctx: MediumContext;
  const sut = new SecurityEventRepository();
  const event = (accountId: string, type: 'factor_enrolled' | 'data_exported', minutes: number) => ({
    id: randomUUID(),
    type,
    accountId,
    actorId: accountId,
    occurredAt: new Date(ctx.clock.nowMs() + minutes * 60_000),
  });

  beforeAll(async () => {
    ctx = await startMedium();
  });

  afterAll(async () => {
    await ctx?.close();
  });

  it('lists an account’s events newest first, up to a limit, and answers the last of a type', async () => {
    const account = await ctx.newAccount();
    const other = await ctx.newAccount();
    await sut.insert(ctx.em(), event(account.id, 'factor_enrolled', 0));
    await ctx.transaction((t) =>
      sut.insertMany(t, [event(account.id, 'data_exported', 1), event(account.id, 'data_exported', 2), event(other.id, 'data_exported', 3)]),
    );
    await sut.insertMany(ctx.em(), []);
    expect((await sut.listFor(ctx.em(), account.id, 10)).map((e) => e.occurredAt.getTime() - ctx.clock.nowMs())).toEqual([120_000, 60_000, 0]);
    expect(await sut.listFor(ctx.em(), account.id, 1)).toHaveLength(1);
    expect((await sut.lastAt(ctx.em(), account.id, 'data_exported'))?.getTime()).toBe(ctx.clock.nowMs() + 120_000);
    expect(await sut.lastAt(ctx.em(), account.id, 'recovery_codes_regenerated')).toBeUndefined();
  });

  it('writes events with the caller transaction or not at all', async () => {
    const account = await ctx.newAccount();
    await expect(
      ctx.transaction(async (t) => {
        await sut.insertMany(t, [event(account.id, 'factor_enrolled', 0)]);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await sut.listFor(ctx.em(), account.id, 10)).toEqual([]);
  });

  it('keeps the trail append-only: an update is refused by the database', async () => {
    const account = await ctx.newAccount();
    await sut.insert(ctx.em(), event(account.id, 'factor_enrolled', 0));
    await expect(ctx.sql(`update auth.security_event set type = 'data_exported' where account_id = ?`, [account.id])).rejects.toThrow();
  });
});
