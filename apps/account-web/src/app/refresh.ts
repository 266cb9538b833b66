/**
 * When to trade the refresh token for a new access token: well before the access token expires
 * (a slow network or a sleeping laptop must not let it lapse), at 80 % of its lifetime but at
 * least a minute early, never sooner than 5 s from now.
 */
export function refreshDelayMs(expiresInSeconds: number): number {
  const lifetimeMs = Math.max(0, expiresInSeconds) * 1000;
  return Math.max(5_000, Math.min(lifetimeMs * 0.8, lifetimeMs - 60_000));
}
