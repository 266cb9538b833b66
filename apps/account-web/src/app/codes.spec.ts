import { cleanTotpCode, recoveryCodeProblem, recoveryCodesFileName, recoveryCodesText, totpCodeProblem } from './codes';

describe('codes', () => {
  describe('totpCodeProblem', () => {
    it('accepts six digits, also with a space in the middle', () => {
      expect(totpCodeProblem('123456')).toBeUndefined();
      expect(totpCodeProblem(' 123 456 ')).toBeUndefined();
      expect(cleanTotpCode(' 123 456 ')).toBe('123456');
    });

    it('refuses an empty field, letters and the wrong length before any request', () => {
      expect(totpCodeProblem('')).toBe('Enter the 6-digit code from your authenticator app.');
      expect(totpCodeProblem('12345')).toBe('The code is 6 digits, for example 123456.');
      expect(totpCodeProblem('12345a')).toBe('The code is 6 digits, for example 123456.');
    });
  });

  describe('recoveryCodeProblem', () => {
    it('refuses only an empty code (the server ignores case, spaces and dashes)', () => {
      expect(recoveryCodeProblem(' - ')).toBe('Enter one of your recovery codes.');
      expect(recoveryCodeProblem('abcd-efgh')).toBeUndefined();
    });
  });

  describe('recoveryCodesText', () => {
    it('lists every code numbered, with the account and the date', () => {
      const codes = Array.from({ length: 10 }, (_, i) => `AAAA-BBBB-CCCC-DDDD-EEEE-FFF${i}`);
      const text = recoveryCodesText(codes, 'ada@example.test', new Date('2026-11-27T12:00:00Z'));
      expect(text).toContain('Account: ada@example.test');
      expect(text).toContain('Generated: 2026-11-27T12:00:00.000Z');
      expect(text).toContain(' 1. AAAA-BBBB-CCCC-DDDD-EEEE-FFF0');
      expect(text).toContain('10. AAAA-BBBB-CCCC-DDDD-EEEE-FFF9');
      expect(text.split('\n').filter((line) => /^\s?\d+\. /.test(line))).toHaveLength(10);
    });
  });

  describe('recoveryCodesFileName', () => {
    it('carries the date and never the account', () => {
      expect(recoveryCodesFileName(new Date('2026-11-27T23:59:00Z'))).toBe('keyhaven-recovery-codes-2026-11-27.txt');
    });
  });
});
