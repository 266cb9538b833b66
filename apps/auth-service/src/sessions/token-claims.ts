/** What a token may be used for (see the token contract in docs/auth-service.md). */
export type TokenUse = 'access' | 'mfa_pending' | 'enrolment';

/** RFC 8176 authentication method references used here. */
export type Amr = 'pwd' | 'otp' | 'mfa' | 'hwk' | 'swk' | 'user';

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
  iat: number;
  exp: number;
  iss: string;
  aud: string | string[];
}

export const TOKEN_AUDIENCE = 'keyhaven';
