import { generate } from 'otplib';
import { ServiceProcess, startService } from '@keyhaven/testing';
import { freshStore, FreshStore } from './support/fresh-database';

/*
 * A revoked session, seen by both built services run as real processes: auth-service refuses its
 * tokens at once; release-api (libs/shared/auth-guard polling auth-service's signed revocation
 * list) within AUTH_REVOCATION_MAX_DELAY — here its least value, 12 s.
 */

const ISSUER = 'http://auth.keyhaven-e2e.test';
const OPS = { email: 'ops@example.test', password: 'lantern-orbit-velvet-42' };
const MAX_DELAY_MS = 12_000;

describe('session revocation across services (built auth-service and release-api)', () => {
  let store: FreshStore;
  let auth: ServiceProcess;
  let release: ServiceProcess;

  beforeAll(async () => {
    store = await freshStore();
    // One store for both, as `npm start` does: one embedded server (or database), a schema per service.
    auth = await startService('auth-service', { ...store.env, AUTH_ISSUER: ISSUER, AUTH_BOOTSTRAP_EMAIL: OPS.email, AUTH_BOOTSTRAP_PASSWORD: OPS.password });
    await auth.ready(180_000);
    release = await startService('release-api', {
      ...store.env,
      AUTH_ISSUER: ISSUER,
      AUTH_JWKS_URL: `${auth.url}/.well-known/jwks.json`,
      AUTH_REVOCATION_MAX_DELAY: `${MAX_DELAY_MS / 1000}s`,
      RELEASE_DEMO_DATA: 'false',
    });
    await release.ready(180_000);
  }, 240_000);

  afterAll(async () => {
    await release?.stop();
    await auth?.stop();
    await store?.remove();
  });

  async function call(base: string, method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; json: Record<string, unknown> }> {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  const sidOf = (token: string) => String(JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString())['sid']);

  it('refuses a session signed out at auth-service: there at once, at release-api within AUTH_REVOCATION_MAX_DELAY; other sessions go on', async () => {
    // The ops account gets a TOTP factor (ops routes need aal 2), then two multi-factor sessions.
    const first = await call(auth.url, 'POST', '/v1/sessions', OPS);
    const factor = await call(auth.url, 'POST', '/v1/me/factors/totp', { name: 'e2e', currentPassword: OPS.password }, String(first.json['accessToken']));
    const secret = String(factor.json['secret']);
    const now = Math.floor(Date.now() / 1000);
    const confirmed = await call(
      auth.url,
      'POST',
      `/v1/me/factors/totp/${String(factor.json['id'])}/confirm`,
      { code: await generate({ secret, epoch: now }) },
      String(first.json['accessToken']),
    );
    expect(confirmed.status).toBe(200);
    const recoveryCodes = confirmed.json['recoveryCodes'] as string[];

    const pendingA = String((await call(auth.url, 'POST', '/v1/sessions', OPS)).json['accessToken']);
    const laptop = await call(auth.url, 'POST', '/v1/sessions/mfa/totp', { code: await generate({ secret, epoch: now + 30 }) }, pendingA);
    expect(laptop.status).toBe(200);
    const pendingB = String((await call(auth.url, 'POST', '/v1/sessions', OPS)).json['accessToken']);
    const phone = await call(auth.url, 'POST', '/v1/sessions/mfa/recovery-code', { code: recoveryCodes[0] }, pendingB);
    expect(phone.status).toBe(200);
    const [laptopToken, phoneToken] = [String(laptop.json['accessToken']), String(phone.json['accessToken'])];

    // Both sessions reach an ops route of release-api.
    expect((await call(release.url, 'GET', '/v1/subscriptions', undefined, laptopToken)).status).toBe(200);
    expect((await call(release.url, 'GET', '/v1/subscriptions', undefined, phoneToken)).status).toBe(200);

    // From the phone: sign the laptop out.
    const revokedAt = Date.now();
    expect((await call(auth.url, 'DELETE', `/v1/me/sessions/${sidOf(laptopToken)}`, undefined, phoneToken)).status).toBe(204);
    const atAuth = await call(auth.url, 'GET', '/v1/me/sessions', undefined, laptopToken);
    expect(atAuth.status).toBe(401);

    // release-api stops taking it within the bound (polled here; the guard's own poll decides when).
    let refused: { status: number; json: Record<string, unknown> } | undefined;
    while (Date.now() - revokedAt <= MAX_DELAY_MS + 2_000) {
      const answer = await call(release.url, 'GET', '/v1/subscriptions', undefined, laptopToken);
      if (answer.status !== 200) {
        refused = answer;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(refused?.status).toBe(401);
    expect(refused?.json['error']).toMatchObject({ code: 'invalid_token', message: expect.stringMatching(/signed out/) });
    expect(Date.now() - revokedAt).toBeLessThanOrEqual(MAX_DELAY_MS + 2_000);
    expect((await call(release.url, 'GET', '/v1/subscriptions', undefined, phoneToken)).status).toBe(200);

    // The list itself: signed, cacheable for a few seconds, naming the revoked session only.
    const list = await fetch(`${auth.url}/v1/sessions/revoked`);
    expect(list.headers.get('content-type')).toMatch(/^application\/jwt/);
    expect(list.headers.get('cache-control')).toBe('public, max-age=5');
    const claims = JSON.parse(Buffer.from((await list.text()).split('.')[1]!, 'base64url').toString());
    expect(claims).toMatchObject({ iss: ISSUER, token_use: 'revocation_list', sids: [sidOf(laptopToken)] });
  });
});
