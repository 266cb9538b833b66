import { randomUUID } from 'node:crypto';
import { MediumContext, startMedium } from '../../test/support/medium';
import { PersonalDataRepository, Tombstone } from './personal-data.repository';

describe(PersonalDataRepository.name, () => {
  let ctx: MediumContext;
  const sut = new PersonalDataRepository();
  const later = (ms: number) => new Date(ctx.clock.nowMs() + ms);
  const tombstone = (accountId: string, overrides: Partial<Tombstone> = {}): Tombstone => ({
    accountId,
    erasedAt: ctx.clock.now(),
    requestedBy: 'admin',
    requesterId: null,
    reason: 'test',
    operator: false,
    ...overrides,
  });
  const event = (accountId: string, details: Record<string, unknown>) =>
    ctx.sql(`insert into auth.security_event (id, type, account_id, actor_id, details, occurred_at) values (?, 'factor_enrolled', ?, ?, ?::jsonb, ?)`, [
      randomUUID(),
      accountId,
      accountId,
      JSON.stringify(details),
      ctx.clock.now(),
    ]);

  beforeAll(async () => {
    ctx = await startMedium();
  });

  afterAll(async () => {
    await ctx?.close();
  });

  it('exports an account with its sessions and events, and nothing for an unknown one', async () => {
    const account = await ctx.newAccount({ roles: ['ops'] });
    const session = await ctx.newSession(account.id);
    await event(account.id, { name: 'my phone' });
    const data = await ctx.transaction((tx) => sut.exportOf(tx, account.id));
    expect(data?.['account']).toMatchObject({ id: account.id, email: account.email, roles: ['ops'], erasureScheduledAt: null });
    expect((data?.['sessions'] as { id: string }[]).map((s) => s.id)).toEqual([session.id]);
    expect((data?.['securityEvents'] as { details: unknown }[]).map((e) => e.details)).toEqual([{ name: 'my phone' }]);
    expect(await ctx.transaction((tx) => sut.exportOf(tx, randomUUID()))).toBeUndefined();
  });

  it('erases an account with what hangs off it, keeps its events without user-chosen text, and leaves one tombstone', async () => {
    const account = await ctx.newAccount();
    await ctx.newSession(account.id);
    await event(account.id, { name: 'my phone', factorId: 'f-1' });
    await event(account.id, { device: 'Firefox on Linux' });
    const kept = await ctx.transaction((tx) => sut.erase(tx, tombstone(account.id, { operator: true })));
    expect(kept).toBe(2);
    expect(await ctx.sql('select 1 from auth.account where id = ?', [account.id])).toEqual([]);
    expect(await ctx.sql('select 1 from auth.session where account_id = ?', [account.id])).toEqual([]);
    const details = (await ctx.sql<{ details: Record<string, unknown> }>('select details from auth.security_event where account_id = ?', [account.id])).map(
      (r) => r.details,
    );
    expect(details).toHaveLength(2);
    expect(details).toEqual(expect.arrayContaining([{}, { factorId: 'f-1' }]));
    expect(await ctx.transaction((tx) => sut.tombstoneOf(tx, account.id))).toMatchObject({ accountId: account.id, requestedBy: 'admin', operator: true });
    // Erased again (a retried job): the first tombstone stays.
    await ctx.transaction((tx) => sut.erase(tx, tombstone(account.id, { reason: 'again' })));
    expect((await ctx.transaction((tx) => sut.tombstoneOf(tx, account.id)))?.reason).toBe('test');
  });

  it('pages tombstones in (erasedAt, accountId) order after a cursor, staff only for the public feed', async () => {
    await ctx.sql('delete from auth.account_tombstone');
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    await ctx.transaction(async (tx) => {
      await sut.erase(tx, tombstone(ids[0] as string, { erasedAt: later(1000), operator: true }));
      await sut.erase(tx, tombstone(ids[1] as string, { erasedAt: later(2000) }));
      await sut.erase(tx, tombstone(ids[2] as string, { erasedAt: later(3000), operator: true }));
    });
    const first = await sut.tombstonesAfter(ctx.em(), undefined, 2);
    expect(first.map((t) => t.accountId)).toEqual([ids[0], ids[1]]);
    const last = first[1] as Tombstone;
    expect((await sut.tombstonesAfter(ctx.em(), { erasedAt: last.erasedAt, accountId: last.accountId }, 10)).map((t) => t.accountId)).toEqual([ids[2]]);
    expect((await sut.tombstonesAfter(ctx.em(), undefined, 10, true)).map((t) => t.accountId)).toEqual([ids[0], ids[2]]);
  });
});
