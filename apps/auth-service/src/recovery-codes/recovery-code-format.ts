import { createHash, randomInt } from 'node:crypto';

/**
 * Recovery codes meet NIST SP 800-63B 5.1.2.2 by the first route: at least 112 bits of entropy,
 * so an unsalted SHA-256 is enough (no offline guessing is feasible) and a code can be found
 * by its hash in a unique index with one conditional UPDATE.
 *
 * 24 characters from a 31-letter alphabet without look-alikes (no 0/O, 1/I/L, U/V is kept) =
 * 24 · log2(31) ≈ 118.9 bits, shown as six groups of four: `7KQD-M3XR-…`.
 */
export const RECOVERY_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
export const RECOVERY_CODE_LENGTH = 24;
export const RECOVERY_GROUP = 4;
export const RECOVERY_SET_SIZE = 10;

export function newRecoveryCode(): string {
  let raw = '';
  for (let i = 0; i < RECOVERY_CODE_LENGTH; i++) raw += RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)];
  const groups: string[] = [];
  for (let i = 0; i < raw.length; i += RECOVERY_GROUP) groups.push(raw.slice(i, i + RECOVERY_GROUP));
  return groups.join('-');
}

/** Case, spaces and dashes do not matter when a user types a code back. */
export function normaliseRecoveryCode(input: string): string {
  return input.toUpperCase().replace(/[\s-]+/g, '');
}

export function hashRecoveryCode(input: string): string {
  return createHash('sha256').update(normaliseRecoveryCode(input), 'utf8').digest('hex');
}

export function looksLikeRecoveryCode(input: string): boolean {
  const normal = normaliseRecoveryCode(input);
  return normal.length === RECOVERY_CODE_LENGTH && [...normal].every((c) => RECOVERY_ALPHABET.includes(c));
}
