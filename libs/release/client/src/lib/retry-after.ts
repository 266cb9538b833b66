/**
 * `Retry-After` (RFC 9110 §10.2.3): either delay-seconds or an HTTP-date. Returns the moment
 * to come back, or undefined when the header is absent or unreadable. The delay is capped so a
 * misconfigured proxy cannot silence an installation for months.
 */
export function parseRetryAfter(value: string | null | undefined, now: Date, maxDelayMs: number): Date | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  let at: number;
  if (/^\d+$/.test(text)) {
    at = now.getTime() + Number(text) * 1000;
  } else if (/^[A-Za-z]{3}/.test(text)) {
    // An HTTP-date starts with the day name (IMF-fixdate and both obsolete forms); anything
    // else that Date.parse would happily read ("-5", "1.5") is garbage.
    at = Date.parse(text);
    if (Number.isNaN(at)) return undefined;
  } else {
    return undefined;
  }
  return new Date(Math.min(Math.max(at, now.getTime()), now.getTime() + maxDelayMs));
}
