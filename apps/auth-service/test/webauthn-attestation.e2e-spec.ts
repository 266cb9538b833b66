import { Harness, PASSWORD, startHarness } from './support/auth-harness';
import { SoftAuthenticator } from './support/soft-authenticator';

describe('WebAuthn attestation policy (AUTH_WEBAUTHN_ATTESTATION=direct)', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({
      AUTH_WEBAUTHN_ATTESTATION: 'direct',
      AUTH_WEBAUTHN_AAGUIDS: 'cb69481e-8ff7-4039-93ec-0a2729a154a8',
      AUTH_WEBAUTHN_ATTACHMENT: 'cross-platform',
      AUTH_WEBAUTHN_USER_VERIFICATION: 'discouraged',
    });
  });

  afterAll(async () => {
    await harness?.close();
  });

  describe('POST /v1/me/factors/webauthn', () => {
    it('asks for direct attestation and the configured attachment', async () => {
      const user = await harness.newUser();
      const options = (
        await harness.request('POST', '/v1/me/factors/webauthn/options', { token: await user.accessToken(), body: { currentPassword: PASSWORD } })
      ).json();
      expect(options).toMatchObject({
        attestation: 'direct',
        authenticatorSelection: { authenticatorAttachment: 'cross-platform', userVerification: 'discouraged' },
      });
    });

    it('refuses an authenticator without an attestation of an allowed model (400 authenticator_not_allowed)', async () => {
      const user = await harness.newUser();
      const token = await user.accessToken();
      const options = (await harness.request('POST', '/v1/me/factors/webauthn/options', { token, body: { currentPassword: PASSWORD } })).json();
      const refused = await harness.request('POST', '/v1/me/factors/webauthn', {
        token,
        body: { name: 'Unknown model', response: new SoftAuthenticator().create(options) },
      });
      expect(refused.statusCode).toBe(400);
      expect(refused.json().error).toMatchObject({
        code: 'authenticator_not_allowed',
        details: { aaguid: '00000000-0000-0000-0000-000000000000', fmt: 'none' },
      });
      expect((await harness.request('GET', '/v1/me/factors', { token })).json()).toEqual([]);
    });
  });
});

describe('per-IP throttling of the passkey routes', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({ AUTH_THROTTLE_LIMIT: '3', AUTH_THROTTLE_WINDOW: '1m' });
  });

  afterAll(async () => {
    await harness?.close();
  });

  it('answers 429 too_many_requests to the fourth passkey request from one address, not to another address', async () => {
    const ip = '203.0.113.9';
    expect((await harness.request('POST', '/v1/sessions/passkey/options', { ip })).statusCode).toBe(200);
    expect((await harness.request('POST', '/v1/sessions/passkey/options', { ip })).statusCode).toBe(200);
    expect((await harness.request('POST', '/v1/sessions/passkey/options', { ip })).statusCode).toBe(200);
    const fourth = await harness.request('POST', '/v1/sessions/passkey/options', { ip });
    expect(fourth.statusCode).toBe(429);
    expect(fourth.json().error.code).toBe('too_many_requests');
    expect((await harness.request('POST', '/v1/sessions/passkey/options', { ip: '198.51.100.7' })).statusCode).toBe(200);
    // The limit is counted per route (@nestjs/throttler keys by handler): the answer route has its own.
    for (let i = 0; i < 3; i++) expect((await harness.request('POST', '/v1/sessions/passkey', { ip, body: { response: {} } })).statusCode).toBe(401);
    expect((await harness.request('POST', '/v1/sessions/passkey', { ip, body: { response: {} } })).statusCode).toBe(429);
  });
});
