import { PrivacyJobs } from '../src/privacy/privacy-jobs';
import { ErasureService } from '../src/privacy/erasure.service';
import { Harness, PASSWORD, startHarness, TestUser } from './support/auth-harness';
import { SoftAuthenticator } from './support/soft-authenticator';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('data-subject rights (auth-service)', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({ AUTH_DELETION_GRACE: '7d' });
  });

  afterAll(async () => {
    await harness?.close();
  });

  const mailTo = (email: string, subject: RegExp) => harness.smtp.waitFor((mail) => mail.to.includes(email) && subject.test(mail.subject));

  /** A user with an authenticator app named by them and a security key, signed in at aal 2. */
  async function userWithFactors(): Promise<{ user: TestUser; token: string; secret: string }> {
    const user = await harness.newUser();
    const { secret } = await user.enrollTotp('Ada’s phone');
    const token = await user.aal2Token(secret);
    const options = await harness.request('POST', '/v1/me/factors/webauthn/options', { token, body: { passkey: false } });
    const registered = await harness.request('POST', '/v1/me/factors/webauthn', {
      token,
      body: { name: 'Blue YubiKey', response: new SoftAuthenticator().create(options.json()) },
    });
    expect(registered.statusCode).toBe(201);
    return { user, token: await user.aal2Token(secret), secret };
  }

  describe('GET /v1/me/export', () => {
    it('answers an attachment of everything stored, without secrets, once an hour, audited', async () => {
      const { user, token, secret } = await userWithFactors();
      const answer = await harness.request('GET', '/v1/me/export', { token });
      expect(answer.statusCode).toBe(200);
      expect(answer.headers['content-disposition']).toMatch(/^attachment; filename="keyhaven-export-\d{4}-\d{2}-\d{2}\.json"$/);
      expect(answer.headers['cache-control']).toBe('no-store');
      const data = answer.json();
      expect(data.schema).toBe('keyhaven.export/v1');
      expect(data.account).toMatchObject({ id: user.id, email: user.email, roles: [], lockState: { failedSecondFactorAttempts: 0, lockedUntil: null } });
      expect(data.factors.map((f: { type: string; name: string }) => [f.type, f.name])).toEqual([
        ['totp', 'Ada’s phone'],
        ['webauthn', 'Blue YubiKey'],
      ]);
      expect(data.factors[1]).toMatchObject({ passkey: false, aaguid: expect.any(String), backedUp: expect.any(Boolean) });
      expect(data.recoveryCodes.remaining).toBe(10);
      expect(data.sessions.length).toBeGreaterThan(0);
      expect(data.securityEvents.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(['factor_enrolled', 'mfa_succeeded']));
      expect(data.recordsOfProcessing).toBe('http://localhost:3000/v1/privacy/records');
      // Nothing that is not the user's to have: no secret, hash or key material.
      const [{ secret_sealed, public_key, code_hash, password_hash }] = await harness.sql<Record<string, string>>(
        `select t.secret_sealed, w.public_key, r.code_hash, a.password_hash from auth.account a
         join auth.totp_factor t on t.account_id = a.id join auth.webauthn_credential w on w.account_id = a.id
         join auth.recovery_code r on r.account_id = a.id where a.id = $1 limit 1`,
        [user.id],
      );
      for (const secret of [secret_sealed, public_key, code_hash, password_hash]) expect(answer.body).not.toContain(secret);
      expect(answer.body).not.toMatch(/secret|hash|publicKey|public_key|credential_id/i);

      const again = await harness.request('GET', '/v1/me/export', { token });
      expect(again.statusCode).toBe(429);
      expect(again.json().error.code).toBe('too_many_exports');
      expect(Number(again.headers['retry-after'])).toBeGreaterThan(3500);
      const events = await harness.sql('select type from auth.security_event where account_id = $1 and type = $2', [user.id, 'data_exported']);
      expect(events).toHaveLength(1);

      harness.clock.advance(HOUR);
      expect((await harness.request('GET', '/v1/me/export', { token: await user.aal2Token(secret) })).statusCode).toBe(200);
    });

    it('needs aal 2 when the account has a factor, and a recent authentication (403 step_up_required)', async () => {
      const { user, token } = await userWithFactors();
      const pending = (await user.signIn()).accessToken;
      const aal1 = await harness.request('GET', '/v1/me/export', { token: pending });
      expect(aal1.statusCode).toBe(403); // a pending token reaches nothing but the second step
      harness.clock.advance(11 * 60_000);
      const stale = await harness.request('GET', '/v1/me/export', { token });
      expect(stale.statusCode).toBe(403);
      expect(stale.json().error.code).toBe('step_up_required');
      const noToken = await harness.request('GET', '/v1/me/export');
      expect(noToken.statusCode).toBe(401);
    });
  });

  describe('DELETE /v1/me', () => {
    it('closes the account at once, mails a cancel link, and erases it after the grace period', async () => {
      const user = await harness.newUser();
      const { secret } = await user.enrollTotp();
      const token = await user.aal2Token(secret);
      const deleted = await harness.request('DELETE', '/v1/me', { token });
      expect(deleted.statusCode).toBe(202);
      const scheduledAt = deleted.json().erasureScheduledAt;
      expect(new Date(scheduledAt).getTime() - harness.clock.nowMs()).toBe(7 * DAY);

      // The token in hand stops working, and so does the password.
      expect((await harness.request('GET', '/v1/me/factors', { token })).statusCode).toBe(401);
      const signIn = await harness.request('POST', '/v1/sessions', { body: { email: user.email, password: PASSWORD } });
      expect(signIn.statusCode).toBe(403);
      expect(signIn.json().error.code).toBe('deletion_scheduled');
      const mail = await mailTo(user.email, /will be erased/);
      const link = /(http:\/\/localhost:3000\/v1\/deletion\/cancel\?token=\S+)/.exec(mail.text)?.[1];
      expect(link).toBeDefined();

      // A mail scanner fetching the link changes nothing.
      const path = (link ?? '').replace('http://localhost:3000', '');
      const page = await harness.request('GET', path);
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('Cancel the deletion');

      harness.clock.advance(7 * DAY);
      await harness.app.get(PrivacyJobs).daily();
      expect(await harness.sql('select id from auth.account where id = $1', [user.id])).toEqual([]);
      expect(await harness.sql('select requested_by from auth.account_tombstone where account_id = $1', [user.id])).toEqual([{ requested_by: 'self' }]);
      // The link is dead now: a 404 that says nothing about the account.
      const late = await harness.request('POST', path, { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
      expect(late.statusCode).toBe(404);
      expect(late.json().error.code).toBe('link_not_found');
      await mailTo(user.email, /was erased/);
    });

    it('is called off by the signed link, which works once; a forged link is 404', async () => {
      const user = await harness.newUser();
      const deleted = await harness.request('DELETE', '/v1/me', { token: await user.accessToken() });
      expect(deleted.statusCode).toBe(202);
      const mail = await mailTo(user.email, /will be erased/);
      const path = (/(\/v1\/deletion\/cancel\?token=\S+)/.exec(mail.text)?.[1] ?? '').trim();
      const form = { 'content-type': 'application/x-www-form-urlencoded' };

      const forged = await harness.request('POST', path.replace(/token=v1\.([^.]+)\.[^.]+/, 'token=v1.$1.AAAAAAAAAAAAAAAA'), { headers: form, body: '' });
      expect(forged.statusCode).toBe(404);
      expect((await harness.request('GET', '/v1/deletion/cancel?token=nonsense')).statusCode).toBe(404);

      const cancelled = await harness.request('POST', path, { headers: form, body: '' });
      expect(cancelled.statusCode).toBe(200);
      expect(cancelled.body).toContain('Your account stays');
      expect((await harness.request('POST', path, { headers: form, body: '' })).statusCode).toBe(404);
      expect((await user.signIn()).accessToken).toEqual(expect.any(String));
      await mailTo(user.email, /deletion of your account was cancelled/);

      // The job that was queued for the old date finds nothing to do.
      harness.clock.advance(8 * DAY);
      expect(await harness.app.get(ErasureService).eraseIfDue(user.id)).toBe(false);
      expect(await harness.sql('select id from auth.account where id = $1', [user.id])).toEqual([{ id: user.id }]);
    });

    it('answers 409 to a second deletion racing the first, and queues one durable job', async () => {
      const user = await harness.newUser();
      const token = await user.accessToken();
      const answers = await Promise.all([harness.request('DELETE', '/v1/me', { token }), harness.request('DELETE', '/v1/me', { token })]);
      const statuses = answers.map((a) => a.statusCode).sort();
      expect(statuses[0]).toBe(202);
      expect([401, 409]).toContain(statuses[1]);
      const jobs = await harness.sql<{ data: { accountId: string }; start_after: Date }>(
        `select data, start_after from auth_jobs.job where name = 'account-erasure' and data->>'accountId' = $1`,
        [user.id],
      );
      expect(jobs).toHaveLength(1);
    });

    it('refuses the last administrator (409 last_admin)', async () => {
      await harness.sql(`update auth.account set roles = '{}' where 'admin' = any(roles)`);
      const admin = await harness.newUser({ roles: ['admin'] });
      const answer = await harness.request('DELETE', '/v1/me', { token: await admin.accessToken() });
      expect(answer.statusCode).toBe(409);
      expect(answer.json().error.code).toBe('last_admin');
    });
  });

  describe('POST /v1/admin/accounts/:id/erase', () => {
    it('erases in one go: rows gone, events kept under the pseudonym without names, tombstone, email free again', async () => {
      const admin = await harness.newUser({ roles: ['admin'] });
      const { user } = await userWithFactors();
      const before = await harness.sql<{ n: number }>('select count(*)::int as n from auth.security_event where account_id = $1', [user.id]);
      const named = await harness.sql(`select id from auth.security_event where account_id = $1 and details::text like '%YubiKey%'`, [user.id]);
      // New events carry no factor names any more; plant one the way older versions wrote them.
      expect(named).toEqual([]);
      await harness.sql(
        `insert into auth.security_event (id, type, account_id, actor_id, details, occurred_at) values (gen_random_uuid(), 'factor_enrolled', $1, $1, '{"name":"Ada’s phone","type":"totp"}', now())`,
        [user.id],
      );

      const answer = await harness.request('POST', `/v1/admin/accounts/${user.id}/erase`, {
        token: await admin.accessToken(),
        body: { reason: 'Art. 17 request by letter (ticket 4712)' },
      });
      expect(answer.statusCode).toBe(200);
      expect(answer.json()).toMatchObject({ accountId: user.id, securityEventsKept: (before[0]?.n ?? 0) + 2 });

      for (const table of ['account', 'totp_factor', 'webauthn_credential', 'recovery_code', 'session', 'consumed_token', 'webauthn_challenge']) {
        const column = table === 'account' ? 'id' : 'account_id';
        expect(await harness.sql(`select 1 from auth.${table} where ${column} = $1`, [user.id])).toEqual([]);
      }
      const events = await harness.sql<{ details: unknown; type: string }>('select type, details from auth.security_event where account_id = $1', [user.id]);
      expect(JSON.stringify(events)).not.toMatch(/Ada’s phone|YubiKey|example\.test/);
      expect(events.map((e) => e.type)).toContain('account_erased');
      expect(await harness.sql('select requested_by, requester_id, reason from auth.account_tombstone where account_id = $1', [user.id])).toEqual([
        { requested_by: 'admin', requester_id: admin.id, reason: 'Art. 17 request by letter (ticket 4712)' },
      ]);
      await mailTo(user.email, /was erased/);

      const again = await harness.request('POST', '/v1/accounts', { body: { email: user.email, password: PASSWORD } });
      expect(again.statusCode).toBe(201);
      expect(again.json().id).not.toBe(user.id);

      // The public feed publishes staff erasures only (release-api keeps ids of staff alone): not this user's.
      const feed = (await harness.request('GET', '/v1/privacy/erasures?limit=1000')).json();
      expect(feed.erasures.map((e: { accountId: string }) => e.accountId)).not.toContain(user.id);
      expect(JSON.stringify(feed)).not.toContain('ticket');
    });

    it("publishes an erased staff account's id and time in the erasures feed — nothing else", async () => {
      const admin = await harness.newUser({ roles: ['admin'] });
      const operator = await harness.newUser({ roles: ['ops'] });
      const answer = await harness.request('POST', `/v1/admin/accounts/${operator.id}/erase`, {
        token: await admin.accessToken(),
        body: { reason: 'left the company (ticket 99)' },
      });
      expect(answer.statusCode).toBe(200);
      const feed = (await harness.request('GET', '/v1/privacy/erasures?limit=1000')).json();
      expect(feed.erasures).toContainEqual({ accountId: operator.id, erasedAt: answer.json().erasedAt });
      expect(JSON.stringify(feed)).not.toMatch(/ticket|example\.test/);
    });

    it('answers 404 for an unknown id, 409 for the last admin, 403 without the role', async () => {
      await harness.sql(`update auth.account set roles = '{}' where 'admin' = any(roles)`);
      const admin = await harness.newUser({ roles: ['admin'] });
      const token = await admin.accessToken();
      const body = { reason: 'cleanup of test accounts' };
      const missing = await harness.request('POST', '/v1/admin/accounts/4a0e1a3c-1111-4222-8333-444455556666/erase', { token, body });
      expect(missing.statusCode).toBe(404);
      expect(missing.json().error.code).toBe('account_not_found');
      const self = await harness.request('POST', `/v1/admin/accounts/${admin.id}/erase`, { token, body });
      expect(self.statusCode).toBe(409);
      expect(self.json().error.code).toBe('last_admin');
      const user = await harness.newUser();
      const notAdmin = await harness.request('POST', `/v1/admin/accounts/${admin.id}/erase`, { token: await user.accessToken(), body });
      expect(notAdmin.statusCode).toBe(403);
      expect((await harness.request('POST', `/v1/admin/accounts/${user.id}/erase`, { token, body: {} })).statusCode).toBe(400);
    });
  });

  describe(ErasureService.prototype.reapply.name, () => {
    it('erases again accounts a restore brought back, from their tombstones, and is idempotent', async () => {
      const admin = await harness.newUser({ roles: ['admin'] });
      const user = await harness.newUser();
      await harness.request('POST', `/v1/admin/accounts/${user.id}/erase`, { token: await admin.accessToken(), body: { reason: 'Art. 17 request' } });
      const [tombstone] = await harness.sql<{ account_id: string; erased_at: Date; requested_by: 'admin'; requester_id: string; reason: string }>(
        'select * from auth.account_tombstone where account_id = $1',
        [user.id],
      );
      // "The restore": the account is back (same id), the tombstone is not.
      await harness.sql(`delete from auth.account_tombstone where account_id = $1`, [user.id]);
      await harness.sql(`insert into auth.account (id, email, password_hash) values ($1, $2, 'x')`, [user.id, `restored-${user.email}`]);

      const tombstones = [
        {
          accountId: user.id,
          erasedAt: new Date(tombstone?.erased_at ?? 0),
          requestedBy: 'admin' as const,
          requesterId: tombstone?.requester_id ?? null,
          reason: tombstone?.reason ?? '',
          operator: false,
        },
      ];
      const erasure = harness.app.get(ErasureService);
      expect(await erasure.reapply(tombstones)).toEqual({ erased: [user.id], tombstonesRestored: 0 });
      expect(await harness.sql('select 1 from auth.account where id = $1', [user.id])).toEqual([]);
      expect(await harness.sql('select reason from auth.account_tombstone where account_id = $1', [user.id])).toEqual([{ reason: 'Art. 17 request' }]);
      expect(await erasure.reapply(tombstones)).toEqual({ erased: [], tombstonesRestored: 0 });
    });
  });
});
