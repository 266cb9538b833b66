import { totpCode } from '../src/factors/totp';
import { decodeClaims, Harness, PASSWORD, startHarness, TestUser } from './support/auth-harness';

const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';

describe('sessions: remember this device', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness?.close();
  });

  const password = (user: TestUser, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
    harness.request('POST', '/v1/sessions', {
      body: { email: user.email, password: PASSWORD, ...extra },
      headers: { 'user-agent': FIREFOX, ...headers },
      ip: '203.0.113.20',
    });

  /** Password + TOTP with rememberDevice: the answer and its Set-Cookie. */
  const rememberedSignIn = async (user: TestUser, secret: string) => {
    const pending = (await password(user)).json().accessToken;
    const step = await harness.request('POST', '/v1/sessions/mfa/totp', {
      token: pending,
      body: { code: await totpCode(secret, harness.clock.nowMs()), rememberDevice: true },
      headers: { 'user-agent': FIREFOX },
      ip: '203.0.113.20',
    });
    harness.clock.advance(30_000);
    expect(step.statusCode).toBe(200);
    return { answer: step.json(), cookie: String(step.headers['set-cookie']) };
  };

  it('hands out a device token (answer and an HttpOnly, Secure, SameSite=Strict cookie) that lets a password sign-in skip the second step; amr says so', async () => {
    const user = await harness.newUser();
    const { secret } = await user.enrollTotp();
    const { answer, cookie } = await rememberedSignIn(user, secret);
    expect(answer).toMatchObject({ aal: 2, deviceToken: expect.stringMatching(/^khd_/), deviceTokenExpiresIn: 30 * 86_400 });
    expect(cookie).toMatch(/^kh_device=khd_/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/Secure/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\/v1\/sessions/);
    expect(cookie).toMatch(/Max-Age=2592000/);
    // Stored only as a hash.
    const rows = await harness.sql<{ token_hash: Buffer; device_label: string }>(
      'select token_hash, device_label from auth.remembered_device where account_id = $1',
      [user.id],
    );
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(answer.deviceToken.slice(4));
    expect(rows[0]!.device_label).toBe('Firefox on Linux');

    for (const attempt of [{ body: { deviceToken: answer.deviceToken } }, { cookie: cookie.split(';')[0]! }]) {
      const signIn = await password(user, attempt.body ?? {}, attempt.cookie ? { cookie: attempt.cookie } : {});
      expect(signIn.statusCode).toBe(200);
      const session = signIn.json();
      expect(session).toMatchObject({ mfaRequired: false, aal: 1, refreshToken: expect.stringMatching(/^khr_/) });
      const claims = decodeClaims(session.accessToken);
      expect(claims).toMatchObject({ token_use: 'access', aal: 1, amr: ['pwd', 'remembered_device'] });
      // It is a session of the list, named by its device; step-up still wants a real factor.
      const list = (await harness.request('GET', '/v1/me/sessions', { token: session.accessToken })).json();
      const device = list.rememberedDevices[0];
      expect(list.sessions.find((s: { current: boolean }) => s.current)).toMatchObject({ rememberedDeviceId: device.id, amr: ['pwd', 'remembered_device'] });
      const stepUp = await harness.request('POST', '/v1/me/recovery-codes', { token: session.accessToken });
      expect(stepUp.statusCode).toBe(403);
      expect(stepUp.json().error.code).toBe('step_up_required');
    }
    // skipRememberedDevice asks for the factor anyway (step-up from the page).
    expect((await password(user, { deviceToken: answer.deviceToken, skipRememberedDevice: true })).json()).toMatchObject({ mfaRequired: true });
    // Audited and mailed, without the token.
    await harness.mailsSettled();
    const mail = harness.smtp.mails.find((m) => m.to.includes(user.email) && /skip your second factor/.test(m.subject));
    expect(mail?.text).toMatch(/Device: Firefox on Linux, network 203\.0\.113\.0\/24/);
    expect(mail?.text).not.toContain('khd_');
  });

  it('answers 401 invalid_token for a malformed, unknown, expired or forgotten device token, one message for all', async () => {
    const user = await harness.newUser();
    const { secret } = await user.enrollTotp();
    const forgotten = (await rememberedSignIn(user, secret)).answer;
    const token = (
      await harness.request('POST', '/v1/sessions', { body: { email: user.email, password: PASSWORD, deviceToken: forgotten.deviceToken } })
    ).json().accessToken;
    expect((await harness.request('DELETE', '/v1/me/remembered-devices', { token })).json()).toEqual({ forgotten: 1 });
    const expiring = (await rememberedSignIn(user, secret)).answer;
    harness.clock.advance(30 * 86_400_000 + 1_000);
    const messages = new Set<string>();
    for (const deviceToken of ['nope', `khd_${'A'.repeat(43)}`, `khr_${'A'.repeat(43)}`, forgotten.deviceToken, expiring.deviceToken, 12, null]) {
      const answer = await password(user, { deviceToken });
      expect(answer.statusCode).toBe(401);
      expect(answer.json().error.code).toBe('invalid_token');
      messages.add(answer.json().error.message);
    }
    expect(messages.size).toBe(1);
    // A stale cookie is no reason to refuse: the second step is asked for and the cookie cleared.
    const viaCookie = await password(user, {}, { cookie: `kh_device=${expiring.deviceToken}` });
    expect(viaCookie.json()).toMatchObject({ mfaRequired: true });
    expect(String(viaCookie.headers['set-cookie'])).toMatch(/^kh_device=; Max-Age=0/);
  });

  it("ignores another account's device token (the second step is asked for) and records it", async () => {
    const [alice, mallory] = [await harness.newUser(), await harness.newUser()];
    const { secret } = await alice.enrollTotp();
    const { secret: mallorySecret } = await mallory.enrollTotp();
    const { answer } = await rememberedSignIn(alice, secret);
    const attempt = await password(mallory, { deviceToken: answer.deviceToken });
    expect(attempt.statusCode).toBe(200);
    expect(attempt.json()).toMatchObject({ mfaRequired: true });
    const token = await mallory.aal2Token(mallorySecret);
    const events = (await harness.request('GET', '/v1/me/security-events', { token })).json();
    expect(events).toContainEqual(expect.objectContaining({ type: 'device_token_ignored', details: expect.objectContaining({ reason: 'other_account' }) }));
    // Alice's device still works for Alice.
    expect((await password(alice, { deviceToken: answer.deviceToken })).json()).toMatchObject({ mfaRequired: false });
  });

  it('forgets every remembered device when a factor is added or removed, the password changes, or an admin resets the factors; one by one from the list', async () => {
    const user = await harness.newUser();
    const { secret } = await user.enrollTotp();
    const works = async (deviceToken: string) => (await password(user, { deviceToken })).statusCode === 200;

    // Forget one.
    const one = (await rememberedSignIn(user, secret)).answer;
    const two = (await rememberedSignIn(user, secret)).answer;
    const list = (await harness.request('GET', '/v1/me/sessions', { token: two.accessToken })).json();
    expect(list.rememberedDevices).toHaveLength(2);
    const forgetOne = await harness.request('DELETE', `/v1/me/remembered-devices/${list.rememberedDevices[1].id}`, { token: two.accessToken });
    expect(forgetOne.statusCode).toBe(204);
    expect([await works(one.deviceToken), await works(two.deviceToken)].filter(Boolean)).toHaveLength(1);
    expect((await harness.request('DELETE', `/v1/me/remembered-devices/${list.rememberedDevices[1].id}`, { token: two.accessToken })).statusCode).toBe(404);

    // A factor added.
    let device = (await rememberedSignIn(user, secret)).answer;
    const aal2 = device.accessToken;
    const enrolled = await harness.request('POST', '/v1/me/factors/totp', { token: aal2, body: { name: 'Tablet' } });
    const confirm = await harness.request('POST', `/v1/me/factors/totp/${enrolled.json().id}/confirm`, {
      token: aal2,
      body: { code: await totpCode(enrolled.json().secret, harness.clock.nowMs()) },
    });
    expect(confirm.statusCode).toBe(200);
    expect(await works(device.deviceToken)).toBe(false);

    // A factor removed.
    harness.clock.advance(30_000);
    device = (await rememberedSignIn(user, secret)).answer;
    expect((await harness.request('DELETE', `/v1/me/factors/${enrolled.json().id}`, { token: device.accessToken })).statusCode).toBe(204);
    expect(await works(device.deviceToken)).toBe(false);

    // The password changed.
    device = (await rememberedSignIn(user, secret)).answer;
    const changed = await harness.request('POST', '/v1/me/password', {
      token: device.accessToken,
      body: { currentPassword: PASSWORD, newPassword: PASSWORD + ' 2' },
    });
    expect(changed.json()).toMatchObject({ forgottenDevices: 1 });
    const again = await harness.request('POST', '/v1/me/password', {
      token: device.accessToken,
      body: { currentPassword: PASSWORD + ' 2', newPassword: PASSWORD },
    });
    expect(again.statusCode).toBe(200);
    expect(await works(device.deviceToken)).toBe(false);

    // An admin reset.
    device = (await rememberedSignIn(user, secret)).answer;
    const admin = await harness.newUser({ roles: ['admin'] });
    const reset = await harness.request('POST', `/v1/admin/users/${user.id}/factors/reset`, {
      token: await admin.accessToken(),
      body: { reason: 'Lost phone, checked by call' },
    });
    expect(reset.statusCode).toBe(200);
    expect(await harness.sql('select 1 from auth.remembered_device where account_id = $1', [user.id])).toHaveLength(0);
  });

  it('is off with AUTH_REMEMBER_DEVICE_TTL=0: no token, no cookie', async () => {
    const off = await startHarness({ AUTH_REMEMBER_DEVICE_TTL: '0' });
    try {
      const user = await off.newUser();
      const { secret } = await user.enrollTotp();
      const pending = (await user.signIn()).accessToken;
      const step = await off.request('POST', '/v1/sessions/mfa/totp', {
        token: pending,
        body: { code: await totpCode(secret, off.clock.nowMs()), rememberDevice: true },
      });
      expect(step.statusCode).toBe(200);
      expect(step.json().deviceToken).toBeUndefined();
      expect(step.headers['set-cookie']).toBeUndefined();
    } finally {
      await off.close();
    }
  });
});
