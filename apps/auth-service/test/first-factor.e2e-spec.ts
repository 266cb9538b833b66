import { Harness, PASSWORD, startHarness } from './support/auth-harness';
import { SoftAuthenticator } from './support/soft-authenticator';

/**
 * The first second factor decides who controls the account, so a stolen password-only session
 * must not be able to enroll it: the first enrollment proves the password again. And every change
 * of factors or recovery codes is mailed to the owner (over real SMTP).
 */
describe('enrolling the first factor, and mail on every factor change', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness?.close();
  });

  const post = (url: string, token: string, body: unknown = {}) => harness.request('POST', url, { token, body });
  const mailTo = (email: string, subject: RegExp) => harness.smtp.waitFor((mail) => mail.to.includes(email) && subject.test(mail.subject));

  describe.each([
    ['POST /v1/me/factors/totp', '/v1/me/factors/totp', { name: 'Phone' }, 201],
    ['POST /v1/me/factors/webauthn/options', '/v1/me/factors/webauthn/options', { passkey: false }, 200],
  ] as const)('%s', (_label, url, body, success) => {
    it('refuses a password-only session without the password (403 password_required)', async () => {
      const user = await harness.newUser();
      const stolen = await user.accessToken();
      const answer = await post(url, stolen, body);
      expect(answer.statusCode).toBe(403);
      expect(answer.json().error).toMatchObject({ code: 'password_required', details: { field: 'currentPassword' } });
      expect((await harness.request('GET', '/v1/me/factors', { token: stolen })).json()).toEqual([]);
    });

    it('refuses a wrong password like a sign-in (401 invalid_credentials), audited', async () => {
      const user = await harness.newUser();
      const token = await user.accessToken();
      const answer = await post(url, token, { ...body, currentPassword: 'not the password at all' });
      expect(answer.statusCode).toBe(401);
      expect(answer.json().error.code).toBe('invalid_credentials');
      const events = (await harness.request('GET', '/v1/me/security-events', { token })).json();
      expect(events).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'password_check_failed', details: { purpose: 'first_factor' } })]));
    });

    it('accepts the right password, and needs none once a factor exists (aal2 then)', async () => {
      const user = await harness.newUser();
      expect((await post(url, await user.accessToken(), { ...body, currentPassword: PASSWORD })).statusCode).toBe(success);
      const { secret } = await user.enrollTotp('First');
      const aal2 = await user.aal2Token(secret);
      expect((await post(url, aal2, url.endsWith('totp') ? { name: 'Second' } : body)).statusCode).toBe(success);
    });
  });

  it('mails the owner when a factor is added or removed and when recovery codes are regenerated', async () => {
    const user = await harness.newUser();
    const { id, secret } = await user.enrollTotp('Phone');
    await harness.mailsSettled();
    const added = await mailTo(user.email, /authenticator app was added/);
    expect(added.text).toContain('"Phone"');

    let token = await user.aal2Token(secret);
    const key = new SoftAuthenticator();
    const creation = (await post('/v1/me/factors/webauthn/options', token)).json();
    expect((await post('/v1/me/factors/webauthn', token, { name: 'YubiKey', response: key.create(creation) })).statusCode).toBe(201);
    await harness.mailsSettled();
    expect((await mailTo(user.email, /security key was added/)).text).toContain('"YubiKey"');

    expect((await post('/v1/me/recovery-codes', token)).statusCode).toBe(201);
    await harness.mailsSettled();
    expect((await mailTo(user.email, /New recovery codes/)).text).toContain('previous codes no longer work');

    token = await user.aal2Token(secret);
    expect((await harness.request('DELETE', `/v1/me/factors/${id}`, { token })).statusCode).toBe(204);
    await harness.mailsSettled();
    expect((await mailTo(user.email, /authenticator app was removed/)).text).toContain('"Phone"');
  });

  it('does not mail for an abandoned, unconfirmed authenticator app', async () => {
    const user = await harness.newUser();
    const token = await user.accessToken();
    const pending = (await post('/v1/me/factors/totp', token, { name: 'Abandoned', currentPassword: PASSWORD })).json();
    expect((await harness.request('DELETE', `/v1/me/factors/${pending.id}`, { token })).statusCode).toBe(204);
    const other = await user.enrollTotp('Kept');
    await harness.mailsSettled();
    await mailTo(user.email, /authenticator app was added/);
    const mails = harness.smtp.mails.filter((mail) => mail.to.includes(user.email)).map((mail) => mail.subject);
    expect(mails).toEqual(['An authenticator app was added to your account']);
    expect(other.recoveryCodes).toHaveLength(10);
  });
});

describe('per-IP throttling of first-factor enrollment', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({ AUTH_THROTTLE_LIMIT: '3', AUTH_THROTTLE_WINDOW: '1m' });
  });

  afterAll(async () => {
    await harness?.close();
  });

  it('answers 429 to the fourth password guess from one address', async () => {
    const created = await harness.request('POST', '/v1/accounts', { body: { email: 'guess@example.test', password: PASSWORD }, ip: '198.51.100.20' });
    expect(created.statusCode).toBe(201);
    const token = (await harness.request('POST', '/v1/sessions', { body: { email: 'guess@example.test', password: PASSWORD }, ip: '198.51.100.20' })).json()
      .accessToken;
    const guess = (password: string) =>
      harness.request('POST', '/v1/me/factors/totp', { token, body: { name: 'Phone', currentPassword: password }, ip: '203.0.113.30' });
    for (const attempt of ['guess one', 'guess two', 'guess three']) expect((await guess(attempt)).statusCode).toBe(401);
    const fourth = await guess('guess four');
    expect(fourth.statusCode).toBe(429);
    expect(fourth.json().error.code).toBe('too_many_requests');
  });
});
