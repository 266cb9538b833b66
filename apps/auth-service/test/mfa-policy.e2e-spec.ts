import { SignJWT } from 'jose';
import { totpCode } from '../src/factors/totp';
import { SigningKeysService } from '../src/signing-keys/signing-keys.service';
import { decodeClaims, Harness, PASSWORD, startHarness } from './support/auth-harness';

const MINUTE = 60_000;

describe('second-factor attempt limits', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness?.close();
  });

  it('climbs the ladder: free attempts, doubling delays with Retry-After, a hard lock, then time releases it', async () => {
    const user = await harness.newUser();
    const { secret } = await user.enrollTotp();
    const attempt = async (code = '000000') => harness.request('POST', '/v1/sessions/mfa/totp', { token: (await user.signIn()).accessToken, body: { code } });

    for (let i = 0; i < 3; i++) expect((await attempt()).json().error.code).toBe('invalid_code');
    // The burst of wrong codes after a correct password: the user hears about it.
    await harness.mailsSettled();
    await harness.smtp.waitFor((m) => m.to.includes(user.email) && /wrong sign-in codes/.test(m.subject));

    const delays = [30, 60, 120, 240, 480, 960, 1920];
    for (const seconds of delays) {
      const held = await attempt(await totpCode(secret, harness.clock.nowMs()));
      expect(held.statusCode).toBe(429);
      expect(held.json().error.code).toBe('too_many_attempts');
      expect(held.headers['retry-after']).toBe(String(seconds));
      harness.clock.advance(seconds * 1000);
      expect((await attempt()).statusCode).toBe(401);
    }
    // Ten consecutive failures: locked, even for the right code.
    const locked = await attempt(await totpCode(secret, harness.clock.nowMs()));
    expect(locked.statusCode).toBe(429);
    expect(locked.json().error.details).toMatchObject({ locked: true });
    expect(locked.headers['retry-after']).toBe('3600');
    await harness.mailsSettled();
    await harness.smtp.waitFor((m) => m.to.includes(user.email) && /locked/.test(m.subject));

    harness.clock.advance(60 * MINUTE);
    const released = await attempt(await totpCode(secret, harness.clock.nowMs()));
    expect(released.statusCode).toBe(200);
    // Success resets the count: three free attempts again.
    harness.clock.advance(MINUTE);
    for (let i = 0; i < 3; i++) expect((await attempt()).statusCode).toBe(401);
    const events = (await harness.request('GET', '/v1/me/security-events', { token: released.json().accessToken })).json();
    expect(events.filter((e: { type: string }) => e.type === 'mfa_locked')).toHaveLength(1);
    expect(events.filter((e: { type: string }) => e.type === 'mfa_failed').length).toBeGreaterThanOrEqual(10);
  });

  it('lets exactly the free attempts through when 50 wrong codes race', async () => {
    const user = await harness.newUser();
    await user.enrollTotp();
    const pending = (await user.signIn()).accessToken;
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => harness.request('POST', '/v1/sessions/mfa/totp', { token: pending, body: { code: '000000' } })),
    );
    // The claim is one conditional UPDATE: racing requests cannot squeeze in extra guesses.
    expect(answers.filter((a) => a.statusCode === 401)).toHaveLength(3);
    expect(answers.filter((a) => a.statusCode === 429)).toHaveLength(47);
  });

  it('shares one counter between TOTP and recovery codes', async () => {
    const user = await harness.newUser();
    await user.enrollTotp();
    const pending = async () => (await user.signIn()).accessToken;
    expect((await harness.request('POST', '/v1/sessions/mfa/totp', { token: await pending(), body: { code: '000000' } })).statusCode).toBe(401);
    expect(
      (await harness.request('POST', '/v1/sessions/mfa/recovery-code', { token: await pending(), body: { code: 'AAAA-AAAA-AAAA-AAAA-AAAA-AAAA' } })).statusCode,
    ).toBe(401);
    expect((await harness.request('POST', '/v1/sessions/mfa/totp', { token: await pending(), body: { code: '000000' } })).statusCode).toBe(401);
    expect((await harness.request('POST', '/v1/sessions/mfa/recovery-code', { token: await pending(), body: { code: 'AAAA' } })).statusCode).toBe(429);
  });

  it('does not let someone without the password count attempts against the account', async () => {
    const user = await harness.newUser();
    const { secret } = await user.enrollTotp();
    const forged = (await user.signIn()).accessToken.replace(/\.[^.]+$/, `.${Buffer.alloc(64).toString('base64url')}`);
    for (let i = 0; i < 20; i++) {
      const response = await harness.request('POST', '/v1/sessions/mfa/totp', { token: forged, body: { code: '000000' } });
      expect(response.statusCode).toBe(401);
      expect(response.json().error.code).toBe('invalid_token');
    }
    const answer = await harness.request('POST', '/v1/sessions/mfa/totp', {
      token: (await user.signIn()).accessToken,
      body: { code: await totpCode(secret, harness.clock.nowMs()) },
    });
    expect(answer.statusCode).toBe(200);
  });
});

describe('per-IP throttling of sign-in routes', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({ AUTH_THROTTLE_LIMIT: '5', AUTH_THROTTLE_WINDOW: '1m' });
  });

  afterAll(async () => {
    await harness?.close();
  });

  it('answers 429 to the sixth sign-in from one address and not to another address', async () => {
    const body = { email: 'nobody@example.test', password: 'whatever it is' };
    for (let i = 0; i < 5; i++) expect((await harness.request('POST', '/v1/sessions', { body, ip: '203.0.113.5' })).statusCode).toBe(401);
    const sixth = await harness.request('POST', '/v1/sessions', { body, ip: '203.0.113.5' });
    expect(sixth.statusCode).toBe(429);
    expect(sixth.json().error.code).toBe('too_many_requests');
    expect((await harness.request('POST', '/v1/sessions', { body, ip: '198.51.100.7' })).statusCode).toBe(401);
  });

  it('ignores X-Forwarded-For without TRUST_PROXY: a client cannot dodge the limit by claiming other addresses', async () => {
    const body = { email: 'nobody@example.test', password: 'whatever it is' };
    const from = (claimed: string) => harness.request('POST', '/v1/sessions', { body, ip: '203.0.113.44', headers: { 'x-forwarded-for': claimed } });
    for (let i = 0; i < 5; i++) expect((await from(`198.51.100.${i}`)).statusCode).toBe(401);
    expect((await from('198.51.100.99')).statusCode).toBe(429);
  });

  it('throttles sign-up the same way: no flood of accounts, no unbounded email_taken probing', async () => {
    const ip = '203.0.113.9';
    const signUp = (email: string) => harness.request('POST', '/v1/accounts', { body: { email, password: 'correct horse battery staple' }, ip });
    expect((await signUp('probe@example.test')).statusCode).toBe(201);
    for (let i = 0; i < 4; i++) expect((await signUp('probe@example.test')).json().error.code).toBe('email_taken');
    const sixth = await signUp('another@example.test');
    expect(sixth.statusCode).toBe(429);
    expect(sixth.json().error.code).toBe('too_many_requests');
    expect(
      (await harness.request('POST', '/v1/accounts', { body: { email: 'another@example.test', password: 'correct horse battery staple' }, ip: '198.51.100.8' }))
        .statusCode,
    ).toBe(201);
  });
});

describe('per-IP throttling behind a reverse proxy (TRUST_PROXY)', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({ AUTH_THROTTLE_LIMIT: '5', AUTH_THROTTLE_WINDOW: '1m', TRUST_PROXY: '10.0.0.0/8' });
  });

  afterAll(async () => {
    await harness?.close();
  });

  it('counts each client behind the proxy on its own, by the forwarded address', async () => {
    const body = { email: 'nobody@example.test', password: 'whatever it is' };
    const via = (client: string) => harness.request('POST', '/v1/sessions', { body, ip: '10.1.2.3', headers: { 'x-forwarded-for': client } });
    for (let i = 0; i < 5; i++) expect((await via('203.0.113.5')).statusCode).toBe(401);
    expect((await via('203.0.113.5')).statusCode).toBe(429);
    // Another client through the same proxy is not held back by the first one's attempts.
    expect((await via('198.51.100.7')).statusCode).toBe(401);
  });
});

describe('step-up for factor changes', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({ AUTH_STEP_UP_MAX_AGE: '10m' });
  });

  afterAll(async () => {
    await harness?.close();
  });

  it('needs aal2 once a factor exists', async () => {
    const user = await harness.newUser();
    const aal1 = await user.accessToken();
    await user.enrollTotp();
    const response = await harness.request('POST', '/v1/me/factors/totp', { token: aal1, body: { name: 'Second' } });
    expect(response.statusCode).toBe(403);
    expect(response.json().error).toMatchObject({ code: 'step_up_required', details: { requiredAal: 2 } });
  });

  it('needs an authentication within AUTH_STEP_UP_MAX_AGE', async () => {
    const user = await harness.newUser();
    const { id, secret } = await user.enrollTotp();
    const token = await user.aal2Token(secret);
    harness.clock.advance(11 * MINUTE);
    const stale = await harness.request('DELETE', `/v1/me/factors/${id}`, { token });
    expect(stale.statusCode).toBe(403);
    expect(stale.json().error.code).toBe('step_up_required');
    const fresh = await user.aal2Token(secret);
    expect((await harness.request('DELETE', `/v1/me/factors/${id}`, { token: fresh })).statusCode).toBe(204);
  });
});

describe('MFA enforcement with a grace period', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({ AUTH_MFA_ENFORCED: 'admin,ops', AUTH_MFA_GRACE_PERIOD: '7d' });
  });

  afterAll(async () => {
    await harness?.close();
  });

  it('warns during the grace period, then hands out an enroll-only token', async () => {
    const ops = await harness.newUser({ roles: ['ops'] });
    const start = harness.clock.now();
    const during = await ops.signIn();
    expect(during).toMatchObject({
      aal: 1,
      mfaRequired: false,
      enrollmentRequired: true,
      enrollmentDeadline: new Date(start.getTime() + 7 * 24 * 60 * MINUTE).toISOString(),
    });
    expect(decodeClaims(during.accessToken)['token_use']).toBe('access');

    harness.clock.advance(3 * 24 * 60 * MINUTE);
    // The grace period started at the first sign-in; later ones do not restart it.
    expect((await ops.signIn())['enrollmentDeadline']).toBe(during['enrollmentDeadline']);

    harness.clock.advance(4 * 24 * 60 * MINUTE + 1000);
    const after = await ops.signIn();
    expect(after).toMatchObject({ enrollmentRequired: true });
    expect(decodeClaims(after.accessToken)['token_use']).toBe('enrollment');
    const elsewhere = await harness.request('GET', '/v1/me/security-events', { token: after.accessToken });
    expect(elsewhere.statusCode).toBe(403);
    expect(elsewhere.json().error.code).toBe('enrollment_required');

    const enrolled = await harness.request('POST', '/v1/me/factors/totp', { token: after.accessToken, body: { name: 'Phone', currentPassword: PASSWORD } });
    expect(enrolled.statusCode).toBe(201);
    const confirmed = await harness.request('POST', `/v1/me/factors/totp/${enrolled.json().id}/confirm`, {
      token: after.accessToken,
      body: { code: await totpCode(enrolled.json().secret, harness.clock.nowMs()) },
    });
    expect(confirmed.statusCode).toBe(200);
    expect((await ops.signIn())['mfaRequired']).toBe(true);
  });

  it('still takes an enroll-only token issued with the old spelling (`enrolment`) until it expires', async () => {
    const ops = await harness.newUser({ roles: ['ops'] });
    await ops.signIn();
    harness.clock.advance(7 * 24 * 60 * MINUTE + 1000);
    const claims = decodeClaims((await ops.signIn()).accessToken);
    expect(claims['token_use']).toBe('enrollment');
    // What this service issued before Migration20261130150500: the same token, the British spelling.
    const { kid, privateKey } = await harness.app.get(SigningKeysService).activeKey();
    const legacy = await new SignJWT({ ...claims, token_use: 'enrolment' }).setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' }).sign(privateKey);

    expect((await harness.request('GET', '/v1/me/factors', { token: legacy })).statusCode).toBe(200);
    const elsewhere = await harness.request('GET', '/v1/me/security-events', { token: legacy });
    expect(elsewhere.statusCode).toBe(403);
    expect(elsewhere.json().error.code).toBe('enrollment_required');

    harness.clock.advance((claims['exp'] as number) * 1000 - harness.clock.nowMs() + 1000);
    const expired = await harness.request('GET', '/v1/me/factors', { token: legacy });
    expect(expired.statusCode).toBe(401);
    expect(expired.json().error.code).toBe('invalid_token');
  });

  it('leaves roles outside the policy alone', async () => {
    const user = await harness.newUser();
    expect(await user.signIn()).toMatchObject({ enrollmentRequired: false });
  });
});

describe('admin reset', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness?.close();
  });

  it('removes the factors and recovery codes of a user, audits the reason and mails the user', async () => {
    const admin = await harness.newUser({ roles: ['admin'] });
    const user = await harness.newUser();
    const { secret } = await user.enrollTotp();
    // A locked-out user: the reset lifts the lock as well.
    for (let i = 0; i < 3; i++) await harness.request('POST', '/v1/sessions/mfa/totp', { token: (await user.signIn()).accessToken, body: { code: '000000' } });

    const reason = 'Lost phone; identity checked by video call (ticket 4711)';
    const reset = await harness.request('POST', `/v1/admin/users/${user.id}/factors/reset`, {
      token: await admin.accessToken(),
      body: { reason },
      ip: '2001:db8:abcd:12::9',
    });
    expect(reset.statusCode).toBe(200);
    expect(reset.json()).toEqual({ removedFactors: 1, removedRecoveryCodes: 10 });

    const session = await user.signIn();
    expect(session['mfaRequired']).toBe(false);
    const events = (await harness.request('GET', '/v1/me/security-events', { token: session.accessToken })).json();
    expect(events.find((e: { type: string }) => e.type === 'admin_factors_reset')).toMatchObject({
      type: 'admin_factors_reset',
      actorId: admin.id,
      ipPrefix: '2001:db8:abcd::/48',
      details: { reason },
    });
    await harness.mailsSettled();
    const mail = await harness.smtp.waitFor((m) => m.to.includes(user.email) && /reset by an administrator/.test(m.subject));
    expect(mail.text).toContain(reason);
    expect(secret).toBeTruthy();
  });

  it('finds a user id by email for the reset (exact address, admins only)', async () => {
    const admin = await harness.newUser({ roles: ['admin'] });
    const user = await harness.newUser();
    const { id: factorId } = await user.enrollTotp('Phone');
    const token = await admin.accessToken();
    const found = await harness.request('GET', `/v1/admin/users?email=${encodeURIComponent(`  ${user.email.toUpperCase()} `)}`, { token });
    expect(found.statusCode).toBe(200);
    expect(found.json()).toEqual({
      users: [
        {
          id: user.id,
          email: user.email,
          roles: [],
          createdAt: expect.any(String),
          factors: [{ id: factorId, type: 'totp', name: 'Phone', confirmed: true, lastUsedAt: null }],
        },
      ],
    });
    expect((await harness.request('GET', `/v1/admin/users?email=nobody%40example.test`, { token })).json()).toEqual({ users: [] });
    // Exact, not a search: a prefix finds nobody.
    expect((await harness.request('GET', `/v1/admin/users?email=${encodeURIComponent(user.email.slice(0, 5))}`, { token })).json().error.code).toBe(
      'validation_failed',
    );
    expect((await harness.request('GET', '/v1/admin/users', { token })).json().error.code).toBe('validation_failed');
    const notAdmin = await harness.request('GET', `/v1/admin/users?email=${encodeURIComponent(admin.email)}`, {
      token: await (await harness.newUser()).accessToken(),
    });
    expect(notAdmin.statusCode).toBe(403);
  });

  it('is for admins only', async () => {
    const user = await harness.newUser();
    const other = await harness.newUser();
    const response = await harness.request('POST', `/v1/admin/users/${other.id}/factors/reset`, {
      token: await user.accessToken(),
      body: { reason: 'because' },
    });
    expect(response.statusCode).toBe(403);
    expect(response.json().error.code).toBe('forbidden');
  });

  it('answers 404 for an unknown user', async () => {
    const admin = await harness.newUser({ roles: ['admin'] });
    const response = await harness.request('POST', '/v1/admin/users/00000000-0000-4000-8000-000000000000/factors/reset', {
      token: await admin.accessToken(),
      body: { reason: 'cleanup' },
    });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe('account_not_found');
  });
});
