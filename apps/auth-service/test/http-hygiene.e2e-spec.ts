import { SignJWT } from 'jose';
import { totpCode } from '../src/factors/totp';
import { SigningKeysService } from '../src/signing-keys/signing-keys.service';
import { Harness, PASSWORD, startHarness } from './support/auth-harness';

/** Headers and messages of auth-service answers (issue #15, "smaller" findings). */
describe('auth-service answers', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness?.close();
  });

  it('keeps every token and secret out of caches and tells browsers not to sniff', async () => {
    const user = await harness.newUser();
    const signIn = await harness.request('POST', '/v1/sessions', { body: { email: user.email, password: 'correct horse battery staple' } });
    const token = signIn.json().accessToken;
    const enroll = await harness.request('POST', '/v1/me/factors/totp', { token, body: { name: 'Phone', currentPassword: PASSWORD } });
    const confirm = await harness.request('POST', `/v1/me/factors/totp/${enroll.json().id}/confirm`, {
      token,
      body: { code: await totpCode(enroll.json().secret, harness.clock.nowMs()) },
    });
    harness.clock.advance(30_000);
    const pending = await harness.request('POST', '/v1/sessions', { body: { email: user.email, password: 'correct horse battery staple' } });
    const step = await harness.request('POST', '/v1/sessions/mfa/totp', {
      token: pending.json().accessToken,
      body: { code: await totpCode(enroll.json().secret, harness.clock.nowMs()) },
    });
    const regenerated = await harness.request('POST', '/v1/me/recovery-codes', { token: step.json().accessToken });

    for (const [name, answer] of Object.entries({ signIn, enroll, confirm, pending, step, regenerated })) {
      expect({ name, status: answer.statusCode, cache: answer.headers['cache-control'] }).toEqual({ name, status: expect.any(Number), cache: 'no-store' });
      expect(answer.statusCode).toBeLessThan(300);
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
    }
    // The key set is public and cacheable.
    expect((await harness.request('GET', '/.well-known/jwks.json')).headers['cache-control']).toMatch(/max-age/);
  });

  it('refuses passwords and names made of control characters', async () => {
    const signUp = (password: string) =>
      harness.request('POST', '/v1/accounts', { body: { email: `ctl-${password.length}-${password.charCodeAt(0)}@example.test`, password } });
    // NUL never gets past the input gate; other control characters are the password policy's.
    expect((await signUp('\u0000'.repeat(16))).json().error.code).toBe('validation_failed');
    expect((await signUp('\u0001'.repeat(16))).json().error).toMatchObject({ code: 'weak_password', details: { reason: 'control_characters' } });
    const token = await (await harness.newUser()).accessToken();
    for (const name of ['   ', '\u0007bell']) {
      expect((await harness.request('POST', '/v1/me/factors/totp', { token, body: { name } })).json().error.code).toBe('validation_failed');
    }
  });

  it('refuses a token of another issuer without naming the expected one', async () => {
    // Signed with this service's own key, so only the issuer is wrong.
    const { kid, privateKey } = await harness.app.get(SigningKeysService).activeKey();
    const user = await harness.newUser();
    const now = Math.floor(harness.clock.nowMs() / 1000);
    const foreign = await new SignJWT({ roles: [], aal: 1, amr: ['pwd'], token_use: 'access' })
      .setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' })
      .setSubject(user.id)
      .setIssuer('https://other-issuer.example')
      .setAudience('keyhaven')
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(privateKey);
    const answer = await harness.request('GET', '/v1/me/factors', { token: foreign });
    expect(answer.statusCode).toBe(401);
    expect(answer.json().error).toEqual({ code: 'invalid_token', message: 'The bearer token was not issued by this service.' });
    expect(answer.body).not.toContain('localhost:3000');
  });
});
