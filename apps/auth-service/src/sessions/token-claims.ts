/** What a token may be used for (see the token contract in docs/auth-service.md). */
export type TokenUse = 'access' | 'mfa_pending' | 'enrolment';

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
  /** The session (access and enrolment tokens); revoking it stops the token. */
  sid?: string;
  iat: number;
  exp: number;
  iss: string;
  aud: string | string[];
}

export const TOKEN_AUDIENCE = 'keyhaven';
