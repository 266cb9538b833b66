/** What a token may be used for (see the token contract in docs/auth-service.md). */
export type TokenUse = 'access' | 'mfa_pending' | 'enrollment';

/**
 * The `token_use` this service wrote for enroll-only tokens until Migration20261130150500 (the
 * British spelling). Tokens issued with it are read as `enrollment` until they expire; nothing
 * writes it any more. Remove it (here and in the two clients, account-web's `isEnrollOnly` and the
 * ops CLI's login) in a release after one with this change has run on every replica for longer
 * than the longest token lifetime (`AUTH_ACCESS_TOKEN_TTL`, 15 minutes by default): by then no
 * token carrying it can still be valid.
 */
export const LEGACY_ENROLLMENT_USE = 'enrolment';

/** The `token_use` of a token, with the legacy spelling read as the current one; undefined if unknown. */
export function tokenUseOf(claim: unknown): TokenUse | undefined {
  if (claim === LEGACY_ENROLLMENT_USE) return 'enrollment';
  return claim === 'access' || claim === 'mfa_pending' || claim === 'enrollment' ? claim : undefined;
}

/** RFC 8176 authentication method references used here. */
export type Amr = 'pwd' | 'otp' | 'mfa' | 'hwk' | 'swk' | 'user' | typeof REMEMBERED_DEVICE_AMR;

/**
 * Not an RFC 8176 value (that registry has none for it): the second step was skipped because the
 * sign-in presented a remembered device's token. Such a session is not `mfa`: step-up asks for a
 * real second factor.
 */
export const REMEMBERED_DEVICE_AMR = 'remembered_device';

export interface TokenClaims {
  sub: string;
  email: string;
  roles: string[];
  aal: 1 | 2;
  amr: Amr[];
  /** Seconds since the epoch of the last authentication event (password or second factor). */
  auth_time: number;
  token_use: TokenUse;
  /** Unique per token; a pending token's jti is recorded when its second step succeeds (single use). */
  jti?: string;
  /** The session (access and enrollment tokens); revoking it stops the token. */
  sid?: string;
  iat: number;
  exp: number;
  iss: string;
  aud: string | string[];
}

export const TOKEN_AUDIENCE = 'keyhaven';
