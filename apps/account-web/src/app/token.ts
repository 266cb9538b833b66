/**
 * Reads the claims of our own access token, for display only (the email in the header, whether
 * the session is multi-factor). The page never trusts them: auth-service checks the signature
 * on every request.
 */
export interface DisplayClaims {
  sub?: string;
  email?: string;
  aal?: number;
  amr?: string[];
  exp?: number;
  auth_time?: number;
  token_use?: string;
}

export function readClaims(jwt: string): DisplayClaims {
  const payload = jwt.split('.')[1];
  if (!payload) return {};
  try {
    const base64 = payload
      .replace(/-/g, '+')
      .replace(/_/g, '/')
      .padEnd(Math.ceil(payload.length / 4) * 4, '=');
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const parsed: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return typeof parsed === 'object' && parsed !== null ? (parsed as DisplayClaims) : {};
  } catch {
    return {};
  }
}

/**
 * Whether the token opens only enrollment (MFA enforced, grace period over). `enrolment` is the
 * spelling auth-service wrote before it settled on `enrollment`; it can go with the server's
 * LEGACY_ENROLLMENT_USE (apps/auth-service/src/sessions/token-claims.ts).
 */
export function isEnrollOnly(claims: DisplayClaims | undefined): boolean {
  return claims?.token_use === 'enrollment' || claims?.token_use === 'enrolment';
}
