import { normaliseEmail, passwordProblem } from './password-policy';

describe('passwordProblem', () => {
  it.each([
    ['short', 'too_short'],
    ['password', 'too_common'],
    ['Password1', 'too_common'],
    ['x'.repeat(129), 'too_long'],
    ['\u0000'.repeat(16), 'control_characters'],
    ['correct horse\nbattery staple', 'control_characters'],
    ['correct horse battery\u0085staple', 'control_characters'],
  ])('refuses %j as %s', (password, problem) => {
    expect(passwordProblem(password)).toBe(problem);
  });

  it('refuses the mailbox name with a short suffix', () => {
    expect(passwordProblem('margaret1', 'margaret@example.test')).toBe('too_common');
  });

  it('accepts a long uncommon passphrase', () => {
    expect(passwordProblem('correct horse battery staple')).toBeUndefined();
  });
});

describe('normaliseEmail', () => {
  it('trims and lower-cases', () => {
    expect(normaliseEmail('  Ada@Example.TEST ')).toBe('ada@example.test');
  });
});
