import { totpCode } from '../src/factors/totp';
import { decodeClaims, Harness, startHarness } from './support/auth-harness';

describe('pending token (single use)', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness?.close();
  });

  const step = (token: string, path: string, code: string) => harness.request('POST', `/v1/sessions/mfa/${path}`, { token, body: { code } });

  describe('POST /v1/sessions/mfa/*', () => {
    it('gives every token its own jti', async () => {
      const user = await harness.newUser();
      const [a, b] = [await user.accessToken(), await user.accessToken()];
      expect(decodeClaims(a)['jti']).toEqual(expect.any(String));
      expect(decodeClaims(a)['jti']).not.toBe(decodeClaims(b)['jti']);
    });

    it('refuses a second success with the same pending token (another valid code, another method)', async () => {
      const user = await harness.newUser();
      const { secret, recoveryCodes } = await user.enrollTotp();
      const pending = (await user.signIn()).accessToken;
      const first = await step(pending, 'totp', await totpCode(secret, harness.clock.nowMs()));
      expect(first.statusCode).toBe(200);
      harness.clock.advance(30_000);
      const again = await step(pending, 'totp', await totpCode(secret, harness.clock.nowMs()));
      expect(again.statusCode).toBe(401);
      expect(again.json().error.code).toBe('invalid_token');
      const recovery = await step(pending, 'recovery-code', recoveryCodes![0]!);
      expect(recovery.statusCode).toBe(401);
      expect(recovery.json().error.code).toBe('invalid_token');
    });

    it('lets exactly one of many racing successes with one pending token through, and burns only its code', async () => {
      const user = await harness.newUser();
      const { recoveryCodes } = await user.enrollTotp();
      const pending = (await user.signIn()).accessToken;
      const answers = await Promise.all(recoveryCodes!.slice(0, 3).map((code) => step(pending, 'recovery-code', code)));
      expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 401, 401]);
      const session = answers.find((a) => a.statusCode === 200)!.json();
      // The losers met a spent token before their codes were looked at: those codes still work.
      expect(session.recoveryCodesRemaining).toBe(9);
      expect((await harness.request('GET', '/v1/me/recovery-codes', { token: session.accessToken })).json()).toEqual({ remaining: 9 });
    });

    it('does not burn a recovery code sent with a spent pending token', async () => {
      const user = await harness.newUser();
      const { secret, recoveryCodes } = await user.enrollTotp();
      const pending = (await user.signIn()).accessToken;
      expect((await step(pending, 'totp', await totpCode(secret, harness.clock.nowMs()))).statusCode).toBe(200);
      harness.clock.advance(30_000);
      // Someone replays the spent token with a recovery code: refused, and the code is not used up.
      const replayed = await step(pending, 'recovery-code', recoveryCodes![0]!);
      expect(replayed.json().error.code).toBe('invalid_token');
      const fresh = (await user.signIn()).accessToken;
      const owner = await step(fresh, 'recovery-code', recoveryCodes![0]!);
      expect(owner.statusCode).toBe(200);
      expect(owner.json().recoveryCodesRemaining).toBe(9);
    });

    it('keeps the pending token after a wrong code', async () => {
      const user = await harness.newUser();
      const { secret } = await user.enrollTotp();
      const pending = (await user.signIn()).accessToken;
      const wrong = await step(pending, 'totp', '000000');
      expect(wrong.json().error.code).toBe('invalid_code');
      const right = await step(pending, 'totp', await totpCode(secret, harness.clock.nowMs()));
      expect(right.statusCode).toBe(200);
    });
  });
});
