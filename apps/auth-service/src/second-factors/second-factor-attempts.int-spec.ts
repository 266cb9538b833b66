import { AccountRepository } from '../accounts/account.repository';
import { MediumContext, startMedium } from '../../test/support/medium';
import { AuthError } from '../app/auth-errors';
import { SecondFactorAttempts } from './second-factor-attempts';

describe(SecondFactorAttempts.name, () => {
  let ctx: MediumContext;
  let sut: SecondFactorAttempts;

  beforeAll(async () => {
    // Three free attempts, then 30 s doubling; locked for an hour at the sixth.
    ctx = await startMedium({ AUTH_MFA_FREE_ATTEMPTS: '3', AUTH_MFA_DELAY_BASE: '30s', AUTH_MFA_LOCK_AFTER: '6', AUTH_MFA_LOCK_DURATION: '1h' });
    sut = new SecondFactorAttempts(ctx.orm.em, ctx.clock, ctx.config, new AccountRepository());
  });

  afterAll(async () => {
    await ctx?.close();
  });

  const refusal = async (accountId: string) => {
    const error = await sut.claim(accountId).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(AuthError);
    return (error as AuthError).details as { locked: boolean; retryAfterSeconds: number };
  };

  it('counts attempts, delays after the free ones (doubling) and locks at the limit', async () => {
    const { id } = await ctx.newAccount();
    expect((await sut.claim(id)).count).toBe(1);
    expect((await sut.claim(id)).count).toBe(2);
    expect((await sut.claim(id)).count).toBe(3);
    // The third consecutive one starts the delay: the next attempt must wait 30 s.
    expect(await refusal(id)).toEqual({ locked: false, retryAfterSeconds: 30 });
    ctx.clock.advance(30_000);
    expect((await sut.claim(id)).count).toBe(4);
    expect(await refusal(id)).toEqual({ locked: false, retryAfterSeconds: 60 });
    ctx.clock.advance(60_000);
    expect((await sut.claim(id)).count).toBe(5);
    ctx.clock.advance(120_000);
    const sixth = await sut.claim(id);
    expect(sut.lockedUntilAfter(sixth)).toEqual(new Date(ctx.clock.nowMs() + 3_600_000));
    expect(await refusal(id)).toEqual({ locked: true, retryAfterSeconds: 3_600 });
  });

  it('lets no more parallel attempts through than the counter allows', async () => {
    const { id } = await ctx.newAccount();
    const results = await Promise.allSettled(Array.from({ length: 12 }, () => sut.claim(id)));
    // Three free ones; the third already sets the delay, so the rest are refused.
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(3);
  });

  it('commits a claim on its own, also when asked inside a transaction that then rolls back', async () => {
    const { id } = await ctx.newAccount();
    const rolledBack = ctx.transaction(async () => {
      await sut.claim(id);
      throw new Error('the surrounding change failed');
    });
    await expect(rolledBack).rejects.toThrow('the surrounding change failed');
    expect((await sut.claim(id)).count).toBe(2);
  });

  it('resets on success, and the retention job clears only stale counters whose delay and lock are over', async () => {
    const [reset, stale, lockOver, stillLocked, fresh] = [
      await ctx.newAccount(),
      await ctx.newAccount(),
      await ctx.newAccount(),
      await ctx.newAccount(),
      await ctx.newAccount(),
    ];
    const start = ctx.clock.nowMs();
    await sut.claim(reset.id);
    await sut.reset(reset.id, ctx.em());
    await sut.claim(stale.id);
    await sut.claim(stillLocked.id);
    // A lock that is still running a day later (as a longer AUTH_MFA_LOCK_DURATION would leave it).
    await ctx.sql('update auth.account set mfa_locked_until = ? where id = ?', [new Date(start + 48 * 3_600_000), stillLocked.id]);
    for (let i = 0; i < 6; i++) {
      await sut.claim(lockOver.id);
      ctx.clock.advance(10 * 60_000);
    }
    ctx.clock.set(new Date(start + 25 * 3_600_000));
    await sut.claim(fresh.id);
    const counters = async () =>
      Object.fromEntries(
        (
          await ctx.sql<{ id: string; mfa_failed_count: number }>('select id, mfa_failed_count from auth.account where id in (?, ?, ?, ?, ?)', [
            reset.id,
            stale.id,
            lockOver.id,
            stillLocked.id,
            fresh.id,
          ])
        ).map((row) => [row.id, row.mfa_failed_count]),
      );
    expect(await counters()).toEqual({ [reset.id]: 0, [stale.id]: 1, [lockOver.id]: 6, [stillLocked.id]: 1, [fresh.id]: 1 });
    // (The other tests' counters in this database are stale by now too: counted, not asserted.)
    expect(await sut.clearStale(ctx.clock.now(), 1)).toBeGreaterThanOrEqual(2);
    expect(await counters()).toEqual({ [reset.id]: 0, [stale.id]: 0, [lockOver.id]: 0, [stillLocked.id]: 1, [fresh.id]: 1 });
  });
});
