import { Harness, startHarness, TestUser } from './support/auth-harness';

describe('recovery codes', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness?.close();
  });

  async function enrolled(): Promise<{ user: TestUser; secret: string; codes: string[] }> {
    const user = await harness.newUser();
    const { secret, recoveryCodes } = await user.enrollTotp();
    return { user, secret, codes: recoveryCodes ?? [] };
  }

  const useCode = async (user: TestUser, code: string) =>
    harness.request('POST', '/v1/sessions/mfa/recovery-code', { token: (await user.signIn()).accessToken, body: { code } });

  describe('POST /v1/sessions/mfa/recovery-code', () => {
    it('signs in once per code, typed in any case with spaces, and mails the user', async () => {
      const { user, codes } = await enrolled();
      expect(codes[0]).toMatch(/^([2-9A-HJKMNP-Z]{4}-){5}[2-9A-HJKMNP-Z]{4}$/);
      const sloppy = codes[0]!.toLowerCase().replace(/-/g, ' ');
      const first = await useCode(user, sloppy);
      expect(first.statusCode).toBe(200);
      expect(first.json()).toMatchObject({ aal: 2, recoveryCodesRemaining: 9 });
      const again = await useCode(user, codes[0]!);
      expect(again.statusCode).toBe(401);
      expect(again.json().error.code).toBe('invalid_code');
      await harness.mailsSettled();
      await harness.smtp.waitFor((m) => m.to.includes(user.email) && /recovery code was used/i.test(m.subject));
      const events = (await harness.request('GET', '/v1/me/security-events', { token: first.json().accessToken })).json();
      expect(events.map((e: { type: string }) => e.type)).toContain('recovery_code_used');
    });

    it('takes one code exactly once out of 100 parallel uses', async () => {
      const { user, codes } = await enrolled();
      const pending = (await user.signIn()).accessToken;
      const answers = await Promise.all(
        Array.from({ length: 100 }, () => harness.request('POST', '/v1/sessions/mfa/recovery-code', { token: pending, body: { code: codes[1]! } })),
      );
      expect(answers.filter((a) => a.statusCode === 200)).toHaveLength(1);
      expect(answers.every((a) => [200, 401, 429].includes(a.statusCode))).toBe(true);
    });

    it('warns in the sign-in answer when three or fewer remain', async () => {
      const { user, codes } = await enrolled();
      const answers = [];
      for (const code of codes.slice(0, 7)) answers.push((await useCode(user, code)).json());
      expect(answers[5]).toMatchObject({ recoveryCodesRemaining: 4 });
      expect(answers[5].warnings).toBeUndefined();
      expect(answers[6]).toMatchObject({ recoveryCodesRemaining: 3, warnings: ['recovery_codes_low'] });
    });
  });

  describe('POST /v1/me/recovery-codes', () => {
    it('issues a new set and the old one stops working', async () => {
      const { user, secret, codes } = await enrolled();
      const token = await user.aal2Token(secret);
      const fresh = await harness.request('POST', '/v1/me/recovery-codes', { token });
      expect(fresh.statusCode).toBe(201);
      expect(fresh.json().recoveryCodes).toHaveLength(10);
      expect((await useCode(user, codes[0]!)).statusCode).toBe(401);
      expect((await harness.request('GET', '/v1/me/recovery-codes', { token })).json()).toEqual({ remaining: 10 });
      expect((await useCode(user, fresh.json().recoveryCodes[0])).statusCode).toBe(200);
    });

    it('refuses an account without a factor', async () => {
      const user = await harness.newUser();
      const response = await harness.request('POST', '/v1/me/recovery-codes', { token: await user.accessToken() });
      expect(response.statusCode).toBe(409);
      expect(response.json().error.code).toBe('no_confirmed_factor');
    });
  });
});
