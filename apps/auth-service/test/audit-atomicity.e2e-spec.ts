import { Client } from 'pg';
import { totpCode } from '../src/factors/totp';
import { Harness, PASSWORD, startHarness } from './support/auth-harness';

/**
 * "Every write that is audited writes its audit row in the same transaction, so a failing
 * audit means no change." A trigger installed in this test's database refuses the security
 * event of one type at a time; the change that event belongs to must then not happen either.
 */
describe('audited changes commit with their security event', () => {
  let harness: Harness;
  let db: Client;

  beforeAll(async () => {
    harness = await startHarness();
    db = new Client({ connectionString: harness.database.url });
    await db.connect();
    await db.query(`
      create table public.refused_event_type (type text primary key);
      create function public.refuse_event() returns trigger language plpgsql as $$
      begin
        if exists (select 1 from public.refused_event_type where type = new.type) then
          raise exception 'audit insert refused by the test';
        end if;
        return new;
      end $$;
      create trigger refuse_event before insert on auth.security_event for each row execute function public.refuse_event();`);
  });

  afterEach(async () => {
    await db.query('delete from public.refused_event_type');
  });

  afterAll(async () => {
    await db?.end();
    await harness?.close();
  });

  const refuse = (type: string) => db.query('insert into public.refused_event_type (type) values ($1)', [type]);
  const factorsOf = async (token: string) => (await harness.request('GET', '/v1/me/factors', { token })).json() as { id: string; confirmed: boolean }[];
  const eventCount = async (accountId: string, type: string) =>
    Number((await db.query('select count(*) as n from auth.security_event where account_id = $1 and type = $2', [accountId, type])).rows[0].n);

  it('leaves the factors and the recovery codes in place when the admin reset cannot be audited', async () => {
    const admin = await harness.newUser({ roles: ['admin'] });
    const user = await harness.newUser();
    const { secret, recoveryCodes } = await user.enrollTotp();
    const reason = 'Lost phone; identity checked (ticket 4711)';

    await refuse('admin_factors_reset');
    const failed = await harness.request('POST', `/v1/admin/users/${user.id}/factors/reset`, { token: await admin.accessToken(), body: { reason } });
    expect(failed.statusCode).toBe(500);
    expect(failed.json().error.code).toBe('internal_error');
    const token = await user.aal2Token(secret);
    expect(await factorsOf(token)).toHaveLength(1);
    expect((await harness.request('GET', '/v1/me/recovery-codes', { token })).json()).toEqual({ remaining: recoveryCodes?.length });
    expect(await eventCount(user.id, 'admin_factors_reset')).toBe(0);

    await db.query('delete from public.refused_event_type');
    const done = await harness.request('POST', `/v1/admin/users/${user.id}/factors/reset`, { token: await admin.accessToken(), body: { reason } });
    expect(done.statusCode).toBe(200);
    expect(done.json()).toEqual({ removedFactors: 1, removedRecoveryCodes: 10 });
    expect(await eventCount(user.id, 'admin_factors_reset')).toBe(1);
  });

  it('stores no TOTP factor whose enrollment cannot be audited', async () => {
    const user = await harness.newUser();
    const token = await user.accessToken();
    await refuse('factor_enrolled');
    expect((await harness.request('POST', '/v1/me/factors/totp', { token, body: { name: 'Phone', currentPassword: PASSWORD } })).statusCode).toBe(500);
    expect(await factorsOf(token)).toEqual([]);
  });

  it('neither confirms the factor nor issues recovery codes when the confirmation cannot be audited', async () => {
    const user = await harness.newUser();
    const token = await user.accessToken();
    const enrolled = (await harness.request('POST', '/v1/me/factors/totp', { token, body: { name: 'Phone', currentPassword: PASSWORD } })).json();
    await refuse('factor_confirmed');
    const code = await totpCode(enrolled.secret, harness.clock.nowMs());
    expect((await harness.request('POST', `/v1/me/factors/totp/${enrolled.id}/confirm`, { token, body: { code } })).statusCode).toBe(500);
    expect(await factorsOf(token)).toMatchObject([{ id: enrolled.id, confirmed: false }]);
    expect((await harness.request('GET', '/v1/me/recovery-codes', { token })).json()).toEqual({ remaining: 0 });
  });

  it('keeps a factor whose removal cannot be audited', async () => {
    const user = await harness.newUser();
    const { id, secret } = await user.enrollTotp();
    const token = await user.aal2Token(secret);
    await refuse('factor_removed');
    expect((await harness.request('DELETE', `/v1/me/factors/${id}`, { token })).statusCode).toBe(500);
    expect(await factorsOf(token)).toHaveLength(1);
    expect((await harness.request('GET', '/v1/me/recovery-codes', { token })).json()).toEqual({ remaining: 10 });
  });

  it('leaves the TOTP step and the pending token unspent when the sign-in cannot be audited', async () => {
    const user = await harness.newUser();
    const { secret } = await user.enrollTotp();
    const pending = (await user.signIn()).accessToken;
    const code = await totpCode(secret, harness.clock.nowMs());
    await refuse('mfa_succeeded');
    const failed = await harness.request('POST', '/v1/sessions/mfa/totp', { token: pending, body: { code } });
    expect(failed.statusCode).toBe(500);
    expect(await eventCount(user.id, 'mfa_succeeded')).toBe(0);
    expect(Number((await db.query('select count(*) as n from auth.session where account_id = $1 and aal = 2', [user.id])).rows[0].n)).toBe(0);

    await db.query('delete from public.refused_event_type');
    // Neither the code's time step nor the token was consumed: the same pair still signs in.
    const done = await harness.request('POST', '/v1/sessions/mfa/totp', { token: pending, body: { code } });
    expect(done.statusCode).toBe(200);
    expect(await eventCount(user.id, 'mfa_succeeded')).toBe(1);
  });

  it('leaves the recovery code unused when its use cannot be audited', async () => {
    const user = await harness.newUser();
    const { recoveryCodes } = await user.enrollTotp();
    const pending = (await user.signIn()).accessToken;
    await refuse('recovery_code_used');
    const failed = await harness.request('POST', '/v1/sessions/mfa/recovery-code', { token: pending, body: { code: recoveryCodes?.[0] } });
    expect(failed.statusCode).toBe(500);
    expect(await eventCount(user.id, 'recovery_code_used')).toBe(0);
    expect(Number((await db.query('select count(*) as n from auth.recovery_code where account_id = $1 and used_at is null', [user.id])).rows[0].n)).toBe(10);

    await db.query('delete from public.refused_event_type');
    const done = await harness.request('POST', '/v1/sessions/mfa/recovery-code', { token: pending, body: { code: recoveryCodes?.[0] } });
    expect(done.statusCode).toBe(200);
    expect(done.json().recoveryCodesRemaining).toBe(9);
    expect(await eventCount(user.id, 'recovery_code_used')).toBe(1);
  });

  it('keeps the old recovery codes when their regeneration cannot be audited', async () => {
    const user = await harness.newUser();
    const { recoveryCodes } = await user.enrollTotp();
    const token = await user.aal2Token((await user.enrollTotp('Second phone')).secret);
    await refuse('recovery_codes_regenerated');
    expect((await harness.request('POST', '/v1/me/recovery-codes', { token })).statusCode).toBe(500);
    const pending = (await user.signIn()).accessToken;
    const used = await harness.request('POST', '/v1/sessions/mfa/recovery-code', { token: pending, body: { code: recoveryCodes?.[0] } });
    expect(used.statusCode).toBe(200);
  });
});
