import { randomBytes } from 'node:crypto';
import { totpCode } from '../src/factors/totp';
import { decodeClaims, Harness, startHarness, TestUser } from './support/auth-harness';

const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';

describe('sessions: refresh with rotation and reuse detection', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness?.close();
  });

  const signIn = async (user: TestUser, headers: Record<string, string> = {}) => {
    const answer = await harness.request('POST', '/v1/sessions', {
      body: { email: user.email, password: 'correct horse battery staple' },
      headers,
      ip: '203.0.113.77',
    });
    expect(answer.statusCode).toBe(200);
    return answer.json() as { accessToken: string; refreshToken: string; refreshExpiresIn: number };
  };
  const refresh = (refreshToken: unknown) => harness.request('POST', '/v1/sessions/refresh', { body: { refreshToken } });
  const me = (token: string) => harness.request('GET', '/v1/me/factors', { token });
  const sessionRow = async (id: string) => (await harness.sql('select * from auth.session where id = $1', [id]))[0];

  describe('POST /v1/sessions', () => {
    it('opens a session row per sign-in, named in the token as sid, with a device label and a network but no address', async () => {
      const user = await harness.newUser();
      const answer = await signIn(user, { 'user-agent': FIREFOX });
      const claims = decodeClaims(answer.accessToken);
      const row = await sessionRow(String(claims['sid']));
      expect(row).toMatchObject({
        account_id: user.id,
        aal: 1,
        amr: ['pwd'],
        device_label: 'Firefox on Linux',
        network: '203.0.113.0/24',
        token_use: 'access',
        revoked_at: null,
      });
      expect(JSON.stringify(row)).not.toContain('203.0.113.77');
      expect(JSON.stringify(row)).not.toContain('Gecko');
      expect(new Date(String(row!['expires_at'])).getTime() - harness.clock.nowMs()).toBe(30 * 86_400_000);
      // A second sign-in is a second session.
      expect(decodeClaims((await signIn(user)).accessToken)['sid']).not.toBe(claims['sid']);
    });
  });

  describe('POST /v1/sessions/refresh', () => {
    it('trades a refresh token for a new access token of the same session and assurance, and a new refresh token; the old one is spent', async () => {
      const user = await harness.newUser();
      const first = await signIn(user);
      harness.clock.advance(10 * 60_000);
      const answer = await refresh(first.refreshToken);
      expect(answer.statusCode).toBe(200);
      expect(answer.headers['cache-control']).toBe('no-store');
      const next = answer.json();
      expect(next).toMatchObject({ tokenType: 'Bearer', expiresIn: 900, aal: 1, refreshExpiresIn: 14 * 86_400, refreshToken: expect.stringMatching(/^khr_/) });
      expect(next.refreshToken).not.toBe(first.refreshToken);
      const [before, after] = [decodeClaims(first.accessToken), decodeClaims(next.accessToken)];
      // A refresh is not an authentication: auth_time, aal and amr stay those of the sign-in.
      expect(after).toMatchObject({ sid: before['sid'], aal: before['aal'], amr: before['amr'], auth_time: before['auth_time'], sub: user.id });
      expect(after['iat']).toBe(Number(before['iat']) + 600);
      expect((await me(next.accessToken)).statusCode).toBe(200);
      expect((await refresh(next.refreshToken)).statusCode).toBe(200);
    });

    it('keeps aal 2 and the factor in amr, and does not count as a recent authentication for step-up', async () => {
      const user = await harness.newUser();
      const { secret } = await user.enrollTotp();
      const pending = (await user.signIn()).accessToken;
      const step = await harness.request('POST', '/v1/sessions/mfa/totp', { token: pending, body: { code: await totpCode(secret, harness.clock.nowMs()) } });
      expect(step.statusCode).toBe(200);
      const signedIn = step.json();
      expect(signedIn.refreshToken).toMatch(/^khr_/);
      expect(await sessionRow(String(decodeClaims(signedIn.accessToken)['sid']))).toMatchObject({ aal: 2, amr: ['pwd', 'otp', 'mfa'] });
      harness.clock.advance(11 * 60_000); // past AUTH_STEP_UP_MAX_AGE (10m)
      const refreshed = (await refresh(signedIn.refreshToken)).json();
      expect(decodeClaims(refreshed.accessToken)).toMatchObject({
        aal: 2,
        amr: ['pwd', 'otp', 'mfa'],
        auth_time: decodeClaims(signedIn.accessToken)['auth_time'],
      });
      const stepUp = await harness.request('POST', '/v1/me/recovery-codes', { token: refreshed.accessToken });
      expect(stepUp.statusCode).toBe(403);
      expect(stepUp.json().error.code).toBe('step_up_required');
    });

    it('revokes the whole session when a spent refresh token comes back, records it and mails the owner (RFC 9700 section 4.14.2)', async () => {
      const user = await harness.newUser();
      const first = await signIn(user, { 'user-agent': FIREFOX });
      const next = (await refresh(first.refreshToken)).json();
      const replay = await harness.request('POST', '/v1/sessions/refresh', {
        body: { refreshToken: first.refreshToken },
        ip: '198.51.100.9',
        headers: { 'user-agent': 'curl/8.5.0' },
      });
      expect(replay.statusCode).toBe(401);
      expect(replay.json().error.code).toBe('invalid_token');
      // Everything of that session stops: the newest refresh token and its access token too.
      expect((await refresh(next.refreshToken)).json().error.code).toBe('invalid_token');
      const refused = await me(next.accessToken);
      expect(refused.statusCode).toBe(401);
      expect(refused.json().error.code).toBe('invalid_token');
      expect(await sessionRow(String(decodeClaims(first.accessToken)['sid']))).toMatchObject({ revoke_reason: 'refresh_token_reused' });
      // Another session of the same account is left alone.
      const other = await signIn(user);
      const events: { type: string }[] = (await harness.request('GET', '/v1/me/security-events', { token: other.accessToken })).json();
      // (The sign-in from a new device label, just before, is an event of its own.)
      expect(events.find((event) => event.type === 'refresh_token_reused')).toMatchObject({
        type: 'refresh_token_reused',
        ipPrefix: '198.51.100.0/24',
        details: { sessionId: decodeClaims(first.accessToken)['sid'], device: 'curl' },
      });
      await harness.mailsSettled();
      const mail = harness.smtp.mails.find((m) => m.to.includes(user.email) && /used twice/.test(m.subject));
      expect(mail?.text).toMatch(/Device: curl, network 198\.51\.100\.0\/24/);
      expect(mail?.text).toMatch(/DELETE \/v1\/me\/sessions/);
      expect(mail?.text).not.toContain('khr_');
      // A third replay revokes nothing new and mails nobody again.
      expect((await refresh(first.refreshToken)).statusCode).toBe(401);
      await harness.mailsSettled();
      expect(harness.smtp.mails.filter((m) => m.to.includes(user.email) && /used twice/.test(m.subject))).toHaveLength(1);
    });

    it('refuses a token that was never issued — session id and an old generation copied, another random part — without taking it for a replay', async () => {
      const user = await harness.newUser();
      const first = await signIn(user);
      const second = (await refresh(first.refreshToken)).json();
      // Someone who saw the session id (it is in every access token) makes a generation-0 token.
      const bytes = Buffer.from(first.refreshToken.slice(4), 'base64url');
      bytes.fill(0x41, 20, 52); // the random part; the MAC no longer matches
      const forged = await refresh(`khr_${bytes.toString('base64url')}`);
      expect([forged.statusCode, forged.json().error.code]).toEqual([401, 'invalid_token']);
      // Not a replay: the session lives on and its current token still works.
      expect(await sessionRow(String(decodeClaims(first.accessToken)['sid']))).toMatchObject({ revoked_at: null, refresh_generation: 1 });
      expect((await refresh(second.refreshToken)).statusCode).toBe(200);
    });

    it('rotates a refresh token issued before session-bound tokens once into the new form, and still recognises its replay', async () => {
      const user = await harness.newUser();
      const { accessToken } = await signIn(user);
      const sid = String(decodeClaims(accessToken)['sid']);
      // As a session opened before the migration looks: no refresh_hash, its token in auth.refresh_token.
      const legacy = `khr_${randomBytes(32).toString('base64url')}`;
      await harness.sql('update auth.session set refresh_hash = null where id = $1', [sid]);
      await harness.sql(`insert into auth.refresh_token (token_hash, session_id, created_at) values (sha256(convert_to($1, 'UTF8')), $2, now())`, [
        legacy,
        sid,
      ]);
      const answer = await refresh(legacy);
      expect(answer.statusCode).toBe(200);
      const next = answer.json();
      expect(next.refreshToken).toMatch(/^khr_[A-Za-z0-9_-]{91}$/);
      expect(decodeClaims(next.accessToken)['sid']).toBe(sid);
      expect((await refresh(next.refreshToken)).statusCode).toBe(200);
      const replay = await refresh(legacy);
      expect(replay.statusCode).toBe(401);
      expect(await sessionRow(sid)).toMatchObject({ revoke_reason: 'refresh_token_reused' });
    });

    it('lets exactly one of many racing refreshes with one token win; the others get 401 invalid_token', async () => {
      const user = await harness.newUser();
      const { refreshToken } = await signIn(user);
      const answers = await Promise.all(Array.from({ length: 8 }, () => refresh(refreshToken)));
      const codes = answers.map((a) => a.statusCode).sort();
      expect(codes).toEqual([200, 401, 401, 401, 401, 401, 401, 401]);
      for (const lost of answers.filter((a) => a.statusCode === 401)) expect(lost.json().error.code).toBe('invalid_token');
      // Only one new token was ever issued for the spent one.
      const sid = decodeClaims(answers.find((a) => a.statusCode === 200)!.json().accessToken)['sid'];
      const rows = await harness.sql<{ refresh_generation: number }>('select refresh_generation from auth.session where id = $1', [sid]);
      expect(rows[0]!.refresh_generation).toBe(1);
    });

    it('ends a session after AUTH_SESSION_IDLE without a refresh', async () => {
      const user = await harness.newUser();
      const { refreshToken } = await signIn(user);
      harness.clock.advance(14 * 86_400_000 + 1_000);
      const answer = await refresh(refreshToken);
      expect(answer.statusCode).toBe(401);
      expect(answer.json().error.code).toBe('invalid_token');
    });

    it('ends a session AUTH_SESSION_MAX after sign-in however often it is refreshed, and says so in refreshExpiresIn', async () => {
      const user = await harness.newUser();
      let { refreshToken } = await signIn(user);
      let lifetime = 0;
      for (let day = 13; day < 30; day += 13) {
        harness.clock.advance(13 * 86_400_000);
        const answer = await refresh(refreshToken);
        expect(answer.statusCode).toBe(200);
        ({ refreshToken, refreshExpiresIn: lifetime } = answer.json());
      }
      expect(lifetime).toBe(4 * 86_400); // day 26 → the end at day 30
      harness.clock.advance(4 * 86_400_000);
      expect((await refresh(refreshToken)).statusCode).toBe(401);
    });

    it('answers one 401 invalid_token for malformed, unknown and foreign tokens, and 400 without the field', async () => {
      const unknown = `khr_${'A'.repeat(43)}`;
      const messages = new Set<string>();
      for (const token of ['nope', unknown, 'khd_' + 'A'.repeat(43), 'khr_' + 'A'.repeat(42) + '!', 'x'.repeat(512)]) {
        const answer = await refresh(token);
        expect(answer.statusCode).toBe(401);
        expect(answer.json().error.code).toBe('invalid_token');
        messages.add(answer.json().error.message);
      }
      expect(messages.size).toBe(1);
      expect((await harness.request('POST', '/v1/sessions/refresh', { body: {} })).json().error.code).toBe('validation_failed');
      expect((await refresh(12)).statusCode).toBe(400);
    });
  });
});
