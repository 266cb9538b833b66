import { decodeClaims, Harness, PASSWORD, startHarness } from './support/auth-harness';

const NEW_PASSWORD = 'a different and longer passphrase';

describe('POST /v1/me/password', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness?.close();
  });

  const signIn = async (email: string, password = PASSWORD) => harness.request('POST', '/v1/sessions', { body: { email, password } });
  const change = (token: string, body: unknown, ip?: string) =>
    harness.request('POST', '/v1/me/password', {
      token,
      body,
      ...(ip ? { ip } : {}),
      headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0' },
    });

  it('changes the password, signs out every other session (the current one stays), audits it and mails the owner without the password', async () => {
    const user = await harness.newUser();
    const other = (await signIn(user.email)).json();
    const current = (await signIn(user.email)).json();
    const answer = await change(current.accessToken, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }, '203.0.113.5');
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toEqual({ revokedSessions: 1, forgottenDevices: 0 });
    expect((await harness.request('GET', '/v1/me/sessions', { token: other.accessToken })).statusCode).toBe(401);
    expect((await harness.request('POST', '/v1/sessions/refresh', { body: { refreshToken: other.refreshToken } })).statusCode).toBe(401);
    const still = await harness.request('GET', '/v1/me/sessions', { token: current.accessToken });
    expect(still.json().sessions.map((s: { id: string }) => s.id)).toEqual([decodeClaims(current.accessToken)['sid']]);

    expect((await signIn(user.email)).statusCode).toBe(401);
    expect((await signIn(user.email, NEW_PASSWORD)).statusCode).toBe(200);
    const events = (await harness.request('GET', '/v1/me/security-events', { token: current.accessToken })).json();
    expect(events.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(['password_changed', 'session_revoked']));
    expect(events.find((e: { type: string }) => e.type === 'session_revoked').details).toMatchObject({ reason: 'password_changed' });

    await harness.mailsSettled();
    const mail = harness.smtp.mails.find((m) => m.to.includes(user.email) && /password of your account was changed/.test(m.subject));
    expect(mail?.text).toMatch(/Device: Firefox on Linux, network 203\.0\.113\.0\/24/);
    expect(mail?.text).not.toContain(NEW_PASSWORD);
    expect(mail?.text).not.toContain(PASSWORD);
  });

  it('refuses a wrong current password (401, audited, nothing changes) and a weak new one (400 weak_password)', async () => {
    const user = await harness.newUser();
    const token = await user.accessToken();
    const wrong = await change(token, { currentPassword: 'not my password', newPassword: NEW_PASSWORD });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error.code).toBe('invalid_credentials');
    const weak = await change(token, { currentPassword: PASSWORD, newPassword: 'short' });
    expect(weak.statusCode).toBe(400);
    expect(weak.json().error).toMatchObject({ code: 'weak_password', details: { reason: 'too_short' } });
    expect((await change(token, { currentPassword: PASSWORD, newPassword: 'password123' })).json().error.code).toBe('weak_password');
    expect((await change(token, { currentPassword: PASSWORD })).json().error.code).toBe('validation_failed');
    expect((await change(token, { currentPassword: PASSWORD, newPassword: 42 })).statusCode).toBe(400);
    expect((await signIn(user.email)).statusCode).toBe(200);
    const events = (await harness.request('GET', '/v1/me/security-events', { token })).json();
    expect(events).toContainEqual(expect.objectContaining({ type: 'password_check_failed', details: { purpose: 'password_change' } }));
    expect(events.map((e: { type: string }) => e.type)).not.toContain('password_changed');
  });

  it('needs step-up: an account with a factor changes its password only from an aal2 session of a recent sign-in', async () => {
    const user = await harness.newUser();
    const { secret } = await user.enrollTotp();
    const aal2 = await user.aal2Token(secret);
    harness.clock.advance(11 * 60_000); // past AUTH_STEP_UP_MAX_AGE
    const stale = await change(aal2, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
    expect(stale.statusCode).toBe(403);
    expect(stale.json().error.code).toBe('step_up_required');
    const fresh = await user.aal2Token(secret);
    expect((await change(fresh, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD })).statusCode).toBe(200);
  });
});
