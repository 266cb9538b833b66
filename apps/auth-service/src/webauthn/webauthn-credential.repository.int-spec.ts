import { randomUUID } from 'node:crypto';
import { MediumContext, startMedium } from '../../test/support/medium';
import { WebAuthnChallengeRepository } from './webauthn-challenge.repository';
import { WebAuthnCredentialRepository } from './webauthn-credential.repository';
import { WebAuthnCredential } from './entities/webauthn-credential.entity';

describe(WebAuthnCredentialRepository.name, () => {
  let ctx: MediumContext;
  const sut = new WebAuthnCredentialRepository();
  const credential = async (accountId: string, counter = '0') => {
    const credentialId = randomUUID();
    const row = Object.assign(new WebAuthnCredential(), {
      accountId,
      name: `key-${credentialId.slice(0, 8)}`,
      credentialId,
      publicKey: 'pk',
      counter,
      aaguid: '00000000-0000-0000-0000-000000000000',
      deviceType: 'singleDevice',
      backedUp: false,
      passkey: false,
      createdAt: ctx.clock.now(),
    });
    await ctx.transaction((t) => sut.insert(t, row));
    return row;
  };

  beforeAll(async () => {
    ctx = await startMedium();
  });

  afterAll(async () => {
    await ctx?.close();
  });

  it('finds a credential by the id the browser reports and lists an account’s keys', async () => {
    const account = await ctx.newAccount();
    expect(await sut.hasAny(ctx.em(), account.id)).toBe(false);
    const first = await credential(account.id);
    const second = await credential(account.id);
    expect((await sut.findByCredentialId(ctx.em(), first.credentialId))?.id).toBe(first.id);
    expect(await sut.findByCredentialId(ctx.em(), 'unknown')).toBeNull();
    expect((await sut.listFor(ctx.em(), account.id)).map((c) => c.id).sort()).toEqual([first.id, second.id].sort());
    expect(await sut.hasAny(ctx.em(), account.id)).toBe(true);
  });

  it('records a use only with a growing counter, or 0 → 0 for an authenticator that keeps none; one of parallel uses of a value wins', async () => {
    const account = await ctx.newAccount();
    const counting = await credential(account.id, '5');
    expect(await sut.recordUse(ctx.em(), counting.id, 5, false, ctx.clock.now())).toBe(false);
    expect(await sut.recordUse(ctx.em(), counting.id, 4, false, ctx.clock.now())).toBe(false);
    expect(await sut.recordUse(ctx.em(), counting.id, 6, true, ctx.clock.now())).toBe(true);
    const racing = await Promise.all(Array.from({ length: 5 }, () => ctx.transaction((t) => sut.recordUse(t, counting.id, 7, true, ctx.clock.now()))));
    expect(racing.filter(Boolean)).toHaveLength(1);

    const none = await credential(account.id, '0');
    expect(await sut.recordUse(ctx.em(), none.id, 0, false, ctx.clock.now())).toBe(true);
    expect(await sut.recordUse(ctx.em(), none.id, 0, false, ctx.clock.now())).toBe(true);
  });

  it('deletes a key of its owner only, or all keys of an account', async () => {
    const account = await ctx.newAccount();
    const stranger = await ctx.newAccount();
    const one = await credential(account.id);
    await credential(account.id);
    expect(await ctx.transaction((t) => sut.delete(t, one.id, stranger.id))).toBe(false);
    expect(await ctx.transaction((t) => sut.delete(t, one.id, account.id))).toBe(true);
    expect(await ctx.transaction((t) => sut.deleteAllFor(t, account.id))).toBe(1);
  });
});

describe(WebAuthnChallengeRepository.name, () => {
  let ctx: MediumContext;
  const sut = new WebAuthnChallengeRepository();
  const later = (ms: number) => new Date(ctx.clock.nowMs() + ms);

  beforeAll(async () => {
    ctx = await startMedium();
  });

  afterAll(async () => {
    await ctx?.close();
  });

  it('hands a challenge out once, to its ceremony and account only', async () => {
    const account = await ctx.newAccount();
    await sut.insert(ctx.em(), { challenge: 'c-1', ceremony: 'second_factor', accountId: account.id, passkey: false, expiresAt: later(60_000) });
    expect(await sut.take(ctx.em(), 'c-1', 'registration', account.id, ctx.clock.now())).toEqual({ found: false });
    expect(await sut.take(ctx.em(), 'c-1', 'second_factor', (await ctx.newAccount()).id, ctx.clock.now())).toEqual({ found: false });
    expect(await sut.take(ctx.em(), 'c-1', 'second_factor', account.id, ctx.clock.now())).toEqual({ found: true, expired: false, passkey: false });
    expect(await sut.take(ctx.em(), 'c-1', 'second_factor', account.id, ctx.clock.now())).toEqual({ found: false });
  });

  it('takes an expired challenge as expired, and lets one of parallel answers take a passkey challenge', async () => {
    await sut.insert(ctx.em(), { challenge: 'old', ceremony: 'passkey', passkey: true, expiresAt: later(-1) });
    expect(await sut.take(ctx.em(), 'old', 'passkey', null, ctx.clock.now())).toEqual({ found: true, expired: true, passkey: true });
    await sut.insert(ctx.em(), { challenge: 'raced', ceremony: 'passkey', passkey: true, expiresAt: later(60_000) });
    const taken = await Promise.all(Array.from({ length: 4 }, () => sut.take(ctx.em(), 'raced', 'passkey', null, ctx.clock.now())));
    expect(taken.filter((t) => t.found)).toHaveLength(1);
  });

  it('prunes abandoned challenges an hour past their expiry while taking another', async () => {
    await sut.insert(ctx.em(), { challenge: 'abandoned', ceremony: 'passkey', passkey: true, expiresAt: later(-2 * 3_600_000) });
    await sut.insert(ctx.em(), { challenge: 'recent', ceremony: 'passkey', passkey: true, expiresAt: later(-60_000) });
    await sut.insert(ctx.em(), { challenge: 'now', ceremony: 'passkey', passkey: true, expiresAt: later(60_000) });
    await sut.take(ctx.em(), 'now', 'passkey', null, ctx.clock.now());
    const left = (await ctx.sql<{ challenge: string }>(`select challenge from auth.webauthn_challenge where challenge in ('abandoned', 'recent')`)).map(
      (r) => r.challenge,
    );
    expect(left).toEqual(['recent']);
  });
});
