import { totpCode } from '../src/factors/totp';
import { Harness, startHarness } from './support/auth-harness';

/**
 * The TOTP, recovery-code and WebAuthn steps are answered on the lean path (sessions/lean-routes.ts), ahead
 * of Nest's pipeline. They must keep what the controller route had: a malformed body refused
 * before the token is looked at, the guards before the DTO, the validation pipe's own answers,
 * the pending-token guards' codes, and no-store.
 */
describe('POST /v1/sessions/mfa/totp, /mfa/recovery-code and /mfa/webauthn on the lean path: the same gate as the controller', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness?.close();
  });

  const raw = (url: string, payload: string, token?: string) =>
    harness.app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      payload,
    });
  const answerOf = (response: Awaited<ReturnType<typeof raw>>) => [response.statusCode, response.json().error?.code];

  it.each(['totp', 'recovery-code', 'webauthn'])(
    '/mfa/%s refuses as a guarded Nest route does: a malformed body first, then a missing or bad token',
    async (path) => {
      const url = `/v1/sessions/mfa/${path}`;
      // POST /v1/me/factors/totp: bearer-guarded, behind Nest's pipeline.
      const nest = '/v1/me/factors/totp';
      for (const [payload, token] of [
        ['{"code":', undefined],
        ['{"code":', 'not.a.jwt'],
        ['{"admin":true}', undefined],
        ['{"code":"123456"}', 'not.a.jwt'],
      ] as const) {
        const lean = await raw(url, payload, token);
        expect({ payload, token, answer: answerOf(lean) }).toEqual({ payload, token, answer: answerOf(await raw(nest, payload, token)) });
        expect(lean.headers['cache-control']).toBe('no-store');
        expect(lean.headers['x-request-id']).toEqual(expect.any(String));
      }
    },
  );

  it('takes only the pending token, and checks the body with the validation pipe after the token', async () => {
    const user = await harness.newUser();
    const session = await user.accessToken();
    const { secret } = await user.enrollTotp();
    expect(answerOf(await raw('/v1/sessions/mfa/totp', '{"code":"123456"}', session))).toEqual([403, 'wrong_token_use']);
    const pending = (await user.signIn()).accessToken;
    const extra = await raw('/v1/sessions/mfa/totp', JSON.stringify({ code: '123456', admin: true }), pending);
    expect(extra.statusCode).toBe(400);
    expect(extra.json().error).toMatchObject({
      code: 'validation_failed',
      details: { fields: [{ field: 'admin', problems: ['property admin should not exist'] }] },
    });
    const long = await raw('/v1/sessions/mfa/recovery-code', JSON.stringify({ code: '1'.repeat(65) }), pending);
    expect(long.json().error).toMatchObject({ code: 'validation_failed', details: { fields: [{ field: 'code' }] } });
    const notBoolean = await raw('/v1/sessions/mfa/totp', JSON.stringify({ code: '123456', rememberDevice: 'yes' }), pending);
    expect(notBoolean.json().error).toMatchObject({ code: 'validation_failed', details: { fields: [{ field: 'rememberDevice' }] } });
    // None of these spent the token or counted an attempt against it.
    const ok = await raw('/v1/sessions/mfa/totp', JSON.stringify({ code: await totpCode(secret, harness.clock.nowMs() + 30_000) }), pending);
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['cache-control']).toBe('no-store');
    expect(ok.json()).toMatchObject({ aal: 2, tokenType: 'Bearer', refreshToken: expect.stringMatching(/^khr_/) });
  });
});
