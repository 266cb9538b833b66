import { hashRecoveryCode, looksLikeRecoveryCode, newRecoveryCode, RECOVERY_ALPHABET, RECOVERY_CODE_LENGTH } from './recovery-code-format';

describe('recovery code format', () => {
  it('has at least 112 bits of entropy', () => {
    expect(RECOVERY_CODE_LENGTH * Math.log2(RECOVERY_ALPHABET.length)).toBeGreaterThanOrEqual(112);
  });

  it('is written in dash-separated groups without ambiguous characters', () => {
    const code = newRecoveryCode();
    expect(code).toMatch(/^([2-9A-HJKMNP-Z]{4}-){5}[2-9A-HJKMNP-Z]{4}$/);
    expect(code).not.toMatch(/[01OIL]/);
  });

  it('hashes typed variants of one code alike', () => {
    const code = newRecoveryCode();
    const sloppy = ` ${code.toLowerCase().replace(/-/g, ' ')} `;
    expect(hashRecoveryCode(sloppy)).toBe(hashRecoveryCode(code));
    expect(looksLikeRecoveryCode(sloppy)).toBe(true);
    expect(looksLikeRecoveryCode('123456')).toBe(false);
  });
});
