import { decodeClaims, Harness, startHarness, TestUser } from '../../test/support/auth-harness';
import { AuthError } from '../app/auth-errors';
import { totpCode } from '../factors/totp';
import { TotpFactorsService } from '../factors/totp-factors.service';
import { RecoveryCodesService } from '../recovery-codes/recovery-codes.service';
import { SecondStepService } from './second-step.service';
import type { TokenClaims } from './token-claims';

/**
 * The second step called as a service (no HTTP): what it commits together on success, what it
 * counts and leaves untouched on each refusal. The routes' e2e specs cover the same flow over HTTP.
 */
describe(SecondStepService.name, () => {
  let h: Harness;
  let sut: SecondStepService;
  let totp: TotpFactorsService;
  const client = { ip: '203.0.113.9', userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0' };

  beforeAll(async () => {
    h = await startHarness();
    sut = h.app.get(SecondStepService);
    totp = h.app.get(TotpFactorsService);
  });

  afterAll(async () => {
    await h?.close();
  });

  const pendingFor = async (user: TestUser): Promise<TokenClaims> => decodeClaims((await user.signIn()).accessToken) as unknown as TokenClaims;
  const refusal = (step: Promise<unknown>): Promise<AuthError> =>
    step.then(
      () => {
        throw new Error('the step was not refused');
      },
      (error: unknown) => error as AuthError,
    );
  const counter = async (accountId: string) => (await h.sql<{ n: number }>('select mfa_failed_count as n from auth.account where id = $1', [accountId]))[0]?.n;
  const spent = async (jti: string) => (await h.sql('select 1 from auth.consumed_token where jti = $1', [jti])).length === 1;
  const wrongCode = async (secret: string) => String((Number(await totpCode(secret, h.clock.nowMs())) + 500_000) % 1_000_000).padStart(6, '0');

  it('on success commits the session, its audit rows, the spent token and the counter reset together', async () => {
    const user = await h.newUser();
    const { secret } = await user.enrollTotp();
    const pending = await pendingFor(user);
    expect((await refusal(sut.secondFactor(pending, totp, { code: await wrongCode(secret) }, client))).code).toBe('invalid_code');
    expect(await counter(user.id)).toBe(1);

    const answer = await sut.secondFactor(pending, totp, { code: await totpCode(secret, h.clock.nowMs()) }, client);

    expect(answer.aal).toBe(2);
    const sessions = await h.sql<{ id: string; aal: number; amr: string[] }>('select id, aal, amr from auth.session where account_id = $1 and aal = 2', [
      user.id,
    ]);
    expect(sessions).toHaveLength(1);
    expect(sessions[0]!.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
    expect(decodeClaims(answer.accessToken)['sid']).toBe(sessions[0]!.id);
    const events = await h.sql<{ type: string }>("select type from auth.security_event where account_id = $1 and type in ('mfa_succeeded', 'mfa_failed')", [
      user.id,
    ]);
    expect(events.map((event) => event.type).sort()).toEqual(['mfa_failed', 'mfa_succeeded']);
    const [succeeded] = await h.sql(
      "select actor_id, ip_prefix, details, occurred_at from auth.security_event where account_id = $1 and type = 'mfa_succeeded'",
      [user.id],
    );
    expect(succeeded).toEqual({
      actor_id: user.id,
      ip_prefix: '203.0.113.0/24',
      details: { method: 'totp', factorId: expect.any(String) },
      occurred_at: new Date(h.clock.nowMs()),
    });
    expect(await spent(pending.jti!)).toBe(true);
    expect(await counter(user.id)).toBe(0);
    expect(answer.recoveryCodesRemaining).toBe(10);
  });

  it('records a sign-in from a new device with the session, and answers the recovery codes left after one is used', async () => {
    const user = await h.newUser();
    const { recoveryCodes } = await user.enrollTotp();
    const answer = await sut.secondFactor(await pendingFor(user), h.app.get(RecoveryCodesService), { code: recoveryCodes![0]! }, client);

    expect(answer.recoveryCodesRemaining).toBe(9);
    const [session] = await h.sql<{ id: string }>('select id from auth.session where account_id = $1 and aal = 2', [user.id]);
    const events = await h.sql<{ type: string; actor_id: string; ip_prefix: string | null; details: unknown }>(
      "select type, actor_id, ip_prefix, details from auth.security_event where account_id = $1 and type in ('mfa_succeeded', 'recovery_code_used', 'new_device_sign_in') order by type",
      [user.id],
    );
    expect(events).toEqual([
      { type: 'mfa_succeeded', actor_id: user.id, ip_prefix: '203.0.113.0/24', details: { method: 'recovery_code' } },
      // The harness's sign-ins came from another device label: this one is new, and is not the account's first.
      {
        type: 'new_device_sign_in',
        actor_id: user.id,
        ip_prefix: null,
        details: { sessionId: session!.id, device: 'Firefox on Linux', network: '203.0.113.0/24' },
      },
      { type: 'recovery_code_used', actor_id: user.id, ip_prefix: '203.0.113.0/24', details: null },
    ]);
  });

  it('refuses a spent pending token, whatever the code', async () => {
    const user = await h.newUser();
    const { secret } = await user.enrollTotp();
    const pending = await pendingFor(user);
    await sut.secondFactor(pending, totp, { code: await totpCode(secret, h.clock.nowMs()) }, client);
    h.clock.advance(30_000);
    const again = await refusal(sut.secondFactor(pending, totp, { code: await totpCode(secret, h.clock.nowMs()) }, client));
    expect(again.code).toBe('invalid_token');
    expect(await h.sql('select 1 from auth.session where account_id = $1 and aal = 2', [user.id])).toHaveLength(1);
  });

  it('a code already used counts the attempt and leaves the pending token unspent and no session', async () => {
    const user = await h.newUser();
    const { secret } = await user.enrollTotp();
    const code = await totpCode(secret, h.clock.nowMs());
    await sut.secondFactor(await pendingFor(user), totp, { code }, client);
    const pending = await pendingFor(user);

    expect((await refusal(sut.secondFactor(pending, totp, { code }, client))).code).toBe('code_already_used');

    expect(await spent(pending.jti!)).toBe(false);
    expect(await counter(user.id)).toBe(1);
    expect(await h.sql('select 1 from auth.session where account_id = $1 and aal = 2', [user.id])).toHaveLength(1);
    expect(await h.sql("select 1 from auth.security_event where account_id = $1 and type = 'code_reused'", [user.id])).toHaveLength(1);
  });

  it('refuses a locked account without counting the attempt, and says so before any delay', async () => {
    const user = await h.newUser();
    const { secret } = await user.enrollTotp();
    const pending = await pendingFor(user);
    await h.sql(
      "update auth.account set locked_at = now(), lock_reason = 'admin', mfa_failed_count = 5, mfa_next_attempt_at = now() + interval '1 hour' where id = $1",
      [user.id],
    );

    const refused = await refusal(sut.secondFactor(pending, totp, { code: await totpCode(secret, h.clock.nowMs()) }, client));

    expect(refused.code).toBe('account_locked');
    expect(await counter(user.id)).toBe(5);
    expect(await spent(pending.jti!)).toBe(false);
  });

  it('refuses while the delay runs, with the wait, without counting', async () => {
    const user = await h.newUser();
    const { secret } = await user.enrollTotp();
    const pending = await pendingFor(user);
    await h.sql('update auth.account set mfa_failed_count = 3, mfa_next_attempt_at = $2 where id = $1', [user.id, new Date(h.clock.nowMs() + 45_000)]);

    const refused = await refusal(sut.secondFactor(pending, totp, { code: await totpCode(secret, h.clock.nowMs()) }, client));

    expect(refused.code).toBe('too_many_attempts');
    expect(refused.details).toEqual({ locked: false, retryAfterSeconds: 45 });
    expect(await counter(user.id)).toBe(3);
  });
});
