/**
 * NIST SP 800-63B 5.1.1.2: at least 8 characters, at most a generous 128 (Argon2 takes any
 * length, the cap only bounds work per request), and not one of the passwords every
 * credential-stuffing list starts with. No composition rules.
 */
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;

// The head of the public breached-password frequency lists (SecLists, NCSC top 100k).
const COMMON_PASSWORDS = new Set(
  `123456 123456789 12345678 password qwerty123 qwerty1 111111 12345 secret 123123 1234567890
  1234567 000000 qwerty abc123 password1 iloveyou 11111111 dragon monkey 123321 654321 666666
  121212 987654321 1q2w3e4r 1qaz2wsx qwertyuiop 123qwe zaq12wsx 7777777 88888888 55555555
  passw0rd p@ssw0rd p@ssword password123 password12 password! welcome welcome1 welcome123
  letmein letmein1 admin admin123 administrator root toor changeme changeme123 sunshine princess
  football baseball superman batman trustno1 master shadow michael jennifer jordan23 starwars
  whatever freedom hello123 hunter2 q1w2e3r4 q1w2e3r4t5 asdfghjkl asdfgh zxcvbnm zxcvbnm123
  qazwsx qazwsxedc 1q2w3e 1q2w3e4r5t 123abc abcd1234 aa123456 a123456 987654321 iloveyou1
  computer internet football1 charlie donald killer pokemon ninja mustang access flower
  keyhaven keyhaven123 default guest test1234 testtest 12341234 11223344 00000000 99999999`
    .split(/\s+/)
    .filter((word) => word.length > 0),
);

export type PasswordProblem = 'too_short' | 'too_long' | 'too_common' | 'control_characters';

export function passwordProblem(password: string, email?: string): PasswordProblem | undefined {
  // NUL and other control characters cannot be typed, so a password with them was pasted by a
  // script; they also count toward the length without adding anything a person could remember.
  // eslint-disable-next-line no-control-regex -- the control characters are what is refused
  if (/[\u0000-\u001f\u007f-\u009f]/.test(password)) return 'control_characters';
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return 'too_short';
  if (length > PASSWORD_MAX_LENGTH) return 'too_long';
  const lower = password.toLowerCase();
  if (COMMON_PASSWORDS.has(lower)) return 'too_common';
  // The account's own name is the first guess of anyone who knows the email.
  const local = email?.split('@')[0]?.toLowerCase();
  if (local && local.length >= 4 && lower.includes(local) && length - local.length < 4) return 'too_common';
  return undefined;
}

/** Lower-cased and trimmed; Unicode NFC so visually equal addresses collide in the unique index. */
export function normaliseEmail(email: string): string {
  return email.normalize('NFC').trim().toLowerCase();
}
