import { execFileSync } from 'node:child_process';
import { matchTotpStep, newTotpSecret, totpCode, totpUri } from './totp';

// RFC 6238 appendix B, SHA-1 rows: the ASCII key "12345678901234567890", 8 digits.
const RFC6238_SHA1 = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
] as const;

describe('totp', () => {
  describe('totpCode', () => {
    it.each(RFC6238_SHA1)('matches RFC 6238 appendix B at T=%d', async (seconds, expected) => {
      expect(await totpCode(new TextEncoder().encode('12345678901234567890'), seconds * 1000, 8)).toBe(expected);
    });
  });

  describe('matchTotpStep', () => {
    const now = Date.UTC(2026, 0, 1, 12, 0, 10);
    const step = Math.floor(now / 30_000);

    it('accepts the current step and one step of drift either way, not two', async () => {
      const secret = newTotpSecret();
      expect(await matchTotpStep(secret, await totpCode(secret, now), now)).toBe(step);
      expect(await matchTotpStep(secret, await totpCode(secret, now - 30_000), now)).toBe(step - 1);
      expect(await matchTotpStep(secret, await totpCode(secret, now + 30_000), now)).toBe(step + 1);
      expect(await matchTotpStep(secret, await totpCode(secret, now - 60_000), now)).toBeUndefined();
      expect(await matchTotpStep(secret, await totpCode(secret, now + 60_000), now)).toBeUndefined();
    });

    it.each(['', '12345', '1234567', 'abcdef', '12 345'])('refuses the malformed code %j', async (code) => {
      expect(await matchTotpStep(newTotpSecret(), code, now)).toBeUndefined();
    });

    it('accepts a code made by an independent client (oathtool)', async () => {
      const secret = newTotpSecret();
      const code = execFileSync('oathtool', ['--totp', '-b', secret], { encoding: 'utf8' }).trim();
      expect(await matchTotpStep(secret, code, Date.now())).toBeDefined();
    });
  });

  describe('newTotpSecret', () => {
    it('is 160 bits of base32', () => {
      const secret = newTotpSecret();
      expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    });
  });

  describe('totpUri', () => {
    it('names issuer, label and the SHA1/6/30 parameters', () => {
      const uri = new URL(totpUri({ issuer: 'Keyhaven', label: 'ada@example.test', secret: 'JBSWY3DPEHPK3PXP' }));
      expect(uri.protocol).toBe('otpauth:');
      expect(decodeURIComponent(uri.pathname)).toContain('Keyhaven:ada@example.test');
      expect(Object.fromEntries(uri.searchParams)).toMatchObject({
        secret: 'JBSWY3DPEHPK3PXP',
        issuer: 'Keyhaven',
        algorithm: 'SHA1',
        digits: '6',
        period: '30',
      });
    });
  });
});
