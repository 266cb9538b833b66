import { generate, generateSecret, verify } from 'otplib';

/**
 * RFC 6238 with the parameters every authenticator app reads from an otpauth URI: HMAC-SHA-1,
 * 6 digits, 30 s steps, a 160-bit secret (RFC 4226 section 4 recommends 160 bits).
 */
export const TOTP_ALGORITHM = 'sha1';
export const TOTP_DIGITS = 6;
export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_SECRET_BYTES = 20;

export function newTotpSecret(): string {
  return generateSecret({ length: TOTP_SECRET_BYTES });
}

/**
 * The Key URI Format (google-authenticator wiki): `otpauth://totp/Issuer:label?secret=…&issuer=…`.
 * The parameters are written out even where they equal the defaults, so apps that guess wrong
 * about defaults still agree with the server.
 */
export function totpUri(options: { issuer: string; label: string; secret: string }): string {
  const params = new URLSearchParams({
    secret: options.secret,
    issuer: options.issuer,
    algorithm: TOTP_ALGORITHM.toUpperCase(),
    digits: String(TOTP_DIGITS),
    period: String(TOTP_PERIOD_SECONDS),
  });
  return `otpauth://totp/${encodeURIComponent(options.issuer)}:${encodeURIComponent(options.label)}?${params.toString()}`;
}

/**
 * The RFC 6238 time step a code belongs to, looking one step back and one ahead for clock
 * drift (RFC 6238 section 5.2), or undefined when it matches none. Consuming the step (the
 * replay guard) is the caller's conditional write.
 */
export async function matchTotpStep(secret: string, code: string, nowMs: number): Promise<number | undefined> {
  if (!new RegExp(`^\\d{${TOTP_DIGITS}}$`).test(code)) return undefined;
  const result = await verify({
    secret,
    token: code,
    algorithm: TOTP_ALGORITHM,
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
    epoch: Math.floor(nowMs / 1000),
    epochTolerance: TOTP_PERIOD_SECONDS,
  });
  return result.valid && 'timeStep' in result ? result.timeStep : undefined;
}

/** The current code, for tests and the enrollment page's preview. */
export function totpCode(secret: string | Uint8Array, nowMs: number, digits: 6 | 8 = TOTP_DIGITS): Promise<string> {
  return generate({ secret, algorithm: TOTP_ALGORITHM, digits, period: TOTP_PERIOD_SECONDS, epoch: Math.floor(nowMs / 1000) });
}
