import { execFileSync } from 'node:child_process';
import { totpCode } from '../src/factors/totp';
import { decodeClaims, Harness, PASSWORD, startHarness } from './support/auth-harness';

describe('TOTP factors', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness?.close();
  });

  const code = (secret: string) => totpCode(secret, harness.clock.nowMs());

  describe('POST /v1/me/factors/totp', () => {
    it('answers a 160-bit base32 secret, an otpauth URI and a QR code, pending until confirmed', async () => {
      const user = await harness.newUser();
      const token = await user.accessToken();
      const enrolled = await harness.request('POST', '/v1/me/factors/totp', { token, body: { name: 'Phone', currentPassword: PASSWORD } });
      expect(enrolled.statusCode).toBe(201);
      const body = enrolled.json();
      expect(body.secret).toMatch(/^[A-Z2-7]{32}$/);
      expect(body.otpauthUri).toBe(
        `otpauth://totp/Keyhaven:${encodeURIComponent(user.email)}?secret=${body.secret}&issuer=Keyhaven&algorithm=SHA1&digits=6&period=30`,
      );
      expect(body.qrSvg).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
      const listed = (await harness.request('GET', '/v1/me/factors', { token })).json();
      expect(listed).toEqual([expect.objectContaining({ id: body.id, type: 'totp', name: 'Phone', confirmed: false, lastUsedAt: null })]);
      // Unconfirmed factors do not make a sign-in ask for a second factor.
      expect((await user.signIn())['mfaRequired']).toBe(false);
    });

    it('refuses a wrong confirmation code and confirms with a code from oathtool, returning ten recovery codes', async () => {
      const user = await harness.newUser();
      const token = await user.accessToken();
      const { id, secret } = (await harness.request('POST', '/v1/me/factors/totp', { token, body: { name: 'Phone', currentPassword: PASSWORD } })).json();
      const wrong = await harness.request('POST', `/v1/me/factors/totp/${id}/confirm`, { token, body: { code: '000000' } });
      expect(wrong.statusCode).toBe(401);
      expect(wrong.json().error.code).toBe('invalid_code');
      // oathtool uses the real time: move the service clock there for this step.
      harness.clock.set(Date.now());
      const independent = execFileSync('oathtool', ['--totp', '-b', secret], { encoding: 'utf8' }).trim();
      const freshToken = await user.accessToken();
      const confirmed = await harness.request('POST', `/v1/me/factors/totp/${id}/confirm`, { token: freshToken, body: { code: independent } });
      expect(confirmed.statusCode).toBe(200);
      expect(confirmed.json().factor).toMatchObject({ id, confirmed: true });
      expect(confirmed.json().recoveryCodes).toHaveLength(10);
      expect(new Set(confirmed.json().recoveryCodes).size).toBe(10);
    });

    it('keeps several named factors; only the first confirmation brings recovery codes', async () => {
      const user = await harness.newUser();
      const first = await user.enrollTotp('Phone');
      const second = await user.enrollTotp('Tablet');
      expect(first.recoveryCodes).toHaveLength(10);
      expect(second.recoveryCodes).toBeUndefined();
      const token = await user.aal2Token(second.secret);
      const names = (await harness.request('GET', '/v1/me/factors', { token })).json().map((f: { name: string }) => f.name);
      expect(names).toEqual(['Phone', 'Tablet']);
      const duplicate = await harness.request('POST', '/v1/me/factors/totp', { token, body: { name: 'Phone', currentPassword: PASSWORD } });
      expect(duplicate.json().error.code).toBe('factor_name_taken');
    });
  });

  describe('POST /v1/sessions/mfa/totp', () => {
    it('turns a pending token into an aal2 session', async () => {
      const user = await harness.newUser();
      const { secret } = await user.enrollTotp();
      const pending = await user.signIn();
      expect(pending).toMatchObject({ aal: 1, mfaRequired: true, methods: ['totp', 'recovery_code'], enrollmentRequired: false });
      expect(decodeClaims(pending.accessToken)).toMatchObject({ token_use: 'mfa_pending', aal: 1, amr: ['pwd'] });
      expect(decodeClaims(pending.accessToken)['exp']).toBe((decodeClaims(pending.accessToken)['iat'] as number) + 300);
      const answer = await harness.request('POST', '/v1/sessions/mfa/totp', { token: pending.accessToken, body: { code: await code(secret) } });
      expect(answer.statusCode).toBe(200);
      expect(answer.json()).toMatchObject({ aal: 2, tokenType: 'Bearer', mfaRequired: false, recoveryCodesRemaining: 10 });
      expect(decodeClaims(answer.json().accessToken)).toMatchObject({ token_use: 'access', aal: 2, amr: ['pwd', 'otp', 'mfa'], sub: user.id });
    });

    it('accepts one step of drift either way but not two', async () => {
      const user = await harness.newUser();
      const { secret } = await user.enrollTotp();
      // Past the step the confirmation spent, so the step behind "now" is still unused.
      harness.clock.advance(60_000);
      for (const [offset, status] of [
        [-60_000, 401],
        [-30_000, 200],
      ] as const) {
        const pending = (await user.signIn()).accessToken;
        const answer = await harness.request('POST', '/v1/sessions/mfa/totp', {
          token: pending,
          body: { code: await totpCode(secret, harness.clock.nowMs() + offset) },
        });
        expect(answer.statusCode).toBe(status);
      }
      harness.clock.advance(90_000);
      const pending = (await user.signIn()).accessToken;
      const ahead = await harness.request('POST', '/v1/sessions/mfa/totp', {
        token: pending,
        body: { code: await totpCode(secret, harness.clock.nowMs() + 30_000) },
      });
      expect(ahead.statusCode).toBe(200);
    });

    it('refuses a full session, an enrollment-less bearer and no token', async () => {
      const user = await harness.newUser();
      const { secret } = await user.enrollTotp();
      const full = await user.aal2Token(secret);
      const withFull = await harness.request('POST', '/v1/sessions/mfa/totp', { token: full, body: { code: '123456' } });
      expect(withFull.statusCode).toBe(403);
      expect(withFull.json().error.code).toBe('wrong_token_use');
      const without = await harness.request('POST', '/v1/sessions/mfa/totp', { body: { code: '123456' } });
      expect(without.statusCode).toBe(401);
    });

    it('lets a pending token reach nothing but the second step', async () => {
      const user = await harness.newUser();
      await user.enrollTotp();
      const pending = (await user.signIn()).accessToken;
      for (const [method, url] of [
        ['GET', '/v1/me/factors'],
        ['GET', '/v1/me/recovery-codes'],
        ['GET', '/v1/me/security-events'],
      ]) {
        const response = await harness.request(method!, url!, { token: pending });
        expect(response.statusCode).toBe(403);
        expect(response.json().error.code).toBe('wrong_token_use');
      }
    });

    it('rejects a reused code with 401 code_already_used, audits it and mails the user', async () => {
      const user = await harness.newUser();
      const { secret } = await user.enrollTotp();
      const current = await code(secret);
      const first = await harness.request('POST', '/v1/sessions/mfa/totp', { token: (await user.signIn()).accessToken, body: { code: current } });
      expect(first.statusCode).toBe(200);
      const again = await harness.request('POST', '/v1/sessions/mfa/totp', { token: (await user.signIn()).accessToken, body: { code: current } });
      expect(again.statusCode).toBe(401);
      expect(again.json().error.code).toBe('code_already_used');
      await harness.mailsSettled();
      const mail = await harness.smtp.waitFor((m) => m.to.includes(user.email) && /used twice/.test(m.subject));
      expect(mail.text).toContain('change your password');
      const events = (await harness.request('GET', '/v1/me/security-events', { token: first.json().accessToken })).json();
      expect(events.map((e: { type: string }) => e.type)).toEqual(
        expect.arrayContaining(['code_reused', 'mfa_succeeded', 'factor_confirmed', 'factor_enrolled']),
      );
    });

    it('refuses the step its own confirmation took with "wait for the next code", without an alarm', async () => {
      const user = await harness.newUser();
      const token = await user.accessToken();
      const { id, secret } = (await harness.request('POST', '/v1/me/factors/totp', { token, body: { name: 'Phone', currentPassword: PASSWORD } })).json();
      const confirming = await code(secret);
      expect((await harness.request('POST', `/v1/me/factors/totp/${id}/confirm`, { token, body: { code: confirming } })).statusCode).toBe(200);
      const mailsBefore = harness.smtp.mails.length;
      const same = await harness.request('POST', '/v1/sessions/mfa/totp', { token: (await user.signIn()).accessToken, body: { code: confirming } });
      expect(same.statusCode).toBe(401);
      expect(same.json().error).toMatchObject({ code: 'code_already_used', details: { consumedBy: 'confirmation' } });
      expect(same.json().error.message).toMatch(/wait for the next code/);
      harness.clock.advance(30_000);
      const next = await harness.request('POST', '/v1/sessions/mfa/totp', { token: (await user.signIn()).accessToken, body: { code: await code(secret) } });
      expect(next.statusCode).toBe(200);
      await harness.mailsSettled();
      const alarms = harness.smtp.mails.slice(mailsBefore).filter((m) => m.to.includes(user.email) && /used twice/.test(m.subject));
      expect(alarms).toEqual([]);
      const events = (await harness.request('GET', '/v1/me/security-events', { token: next.json().accessToken })).json() as {
        type: string;
        details: Record<string, unknown>;
      }[];
      expect(events.map((e) => e.type)).not.toContain('code_reused');
      expect(events).toEqual(
        expect.arrayContaining([expect.objectContaining({ type: 'mfa_failed', details: expect.objectContaining({ consumedBy: 'confirmation' }) })]),
      );
      // Once the factor has signed in, the same step again is a reuse: refused and mailed.
      const replay = await harness.request('POST', '/v1/sessions/mfa/totp', { token: (await user.signIn()).accessToken, body: { code: await code(secret) } });
      expect(replay.json().error).toEqual({ code: 'code_already_used', message: expect.any(String) });
      await harness.smtp.waitFor((m) => m.to.includes(user.email) && /used twice/.test(m.subject));
    });

    it('takes one valid code exactly once out of 100 parallel submissions', async () => {
      const user = await harness.newUser();
      const { secret } = await user.enrollTotp();
      const pending = (await user.signIn()).accessToken;
      const current = await code(secret);
      const answers = await Promise.all(
        Array.from({ length: 100 }, () => harness.request('POST', '/v1/sessions/mfa/totp', { token: pending, body: { code: current } })),
      );
      const statuses = answers.map((a) => a.statusCode);
      expect(statuses.filter((s) => s === 200)).toHaveLength(1);
      // The others lost the race (401 code_already_used) or were held back by the attempt limit (429).
      expect(statuses.every((s) => s === 200 || s === 401 || s === 429)).toBe(true);
    });
  });

  describe('DELETE /v1/me/factors/:id', () => {
    it('removes one factor, and with the last one the recovery codes', async () => {
      const user = await harness.newUser();
      const phone = await user.enrollTotp('Phone');
      const tablet = await user.enrollTotp('Tablet');
      let token = await user.aal2Token(phone.secret);
      expect((await harness.request('DELETE', `/v1/me/factors/${phone.id}`, { token })).statusCode).toBe(204);
      expect((await harness.request('DELETE', `/v1/me/factors/${phone.id}`, { token })).json().error.code).toBe('factor_not_found');
      expect((await harness.request('GET', '/v1/me/recovery-codes', { token })).json()).toEqual({ remaining: 10 });
      token = await user.aal2Token(tablet.secret);
      expect((await harness.request('DELETE', `/v1/me/factors/${tablet.id}`, { token })).statusCode).toBe(204);
      expect((await harness.request('GET', '/v1/me/recovery-codes', { token })).json()).toEqual({ remaining: 0 });
      expect((await user.signIn())['mfaRequired']).toBe(false);
    });
  });
});
