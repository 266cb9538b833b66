import { randomUUID } from 'node:crypto';
import { AccountRepository } from '../accounts/account.repository';
import { CONFIRMED_AT_CLAIM, TotpFactorRepository } from '../factors/totp-factor.repository';
import { CREDENTIALS_AT_CLAIM, WebAuthnCredentialRepository } from '../webauthn/webauthn-credential.repository';
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

  it("answers a strategy's read with the claimed attempt, as the strategy's own read answers it, and nothing when refused", async () => {
    const { id } = await ctx.newAccount();
    const at = (seconds: number) => new Date(ctx.clock.nowMs() + seconds * 1000);
    const totp = (name: string, createdAt: Date, confirmedAt: Date | null, lastUsedAt: Date | null, lastStep: number | null) =>
      ctx.sql(
        'insert into auth.totp_factor (id, account_id, name, secret_sealed, created_at, confirmed_at, last_used_at, last_step) values (?, ?, ?, ?, ?, ?, ?, ?)',
        [randomUUID(), id, name, `v1.t1.${name}`, createdAt, confirmedAt, lastUsedAt, lastStep],
      );
    await totp('second', at(2), at(3), at(4.123), 59_100_001);
    await totp('first', at(1), at(1), null, 59_100_000);
    await totp('pending', at(0), null, null, null);
    await ctx.sql(
      `insert into auth.webauthn_credential (id, account_id, name, credential_id, public_key, counter, transports, aaguid, device_type, backed_up, passkey, created_at, last_used_at)
       values (?, ?, 'key', 'cred-1', 'pk', 4294967295, '{usb,nfc}', 'aaguid', 'singleDevice', true, false, ?, ?)`,
      [randomUUID(), id, at(5), at(6.5)],
    );
    const factors = new TotpFactorRepository();
    const credentials = new WebAuthnCredentialRepository();

    const withFactors = await sut.tryClaim(id, CONFIRMED_AT_CLAIM);
    expect(withFactors?.count).toBe(1);
    expect(factors.confirmedFromClaim(withFactors?.read)).toEqual(await factors.listConfirmed(ctx.em(), id));
    expect(factors.confirmedFromClaim(withFactors?.read).map((factor) => factor.lastStep)).toEqual(['59100000', '59100001']);
    const withKeys = await sut.tryClaim(id, CREDENTIALS_AT_CLAIM);
    expect(withKeys?.count).toBe(2);
    expect(credentials.fromClaim(withKeys?.read)).toEqual(await credentials.listFor(ctx.em(), id));
    // An account without any: an empty list, not a missing read.
    const other = await ctx.newAccount();
    expect(factors.confirmedFromClaim((await sut.tryClaim(other.id, CONFIRMED_AT_CLAIM))?.read)).toEqual([]);

    await sut.tryClaim(id);
    expect(await sut.tryClaim(id, CONFIRMED_AT_CLAIM)).toBeUndefined();
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
