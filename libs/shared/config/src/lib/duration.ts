const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, y: 365 * 86_400_000 } as const;

/**
 * Parses the duration notation used by every Keyhaven env var: `72h`, `30m`, `20s`,
 * `1500ms`, `2d`, `3y` (a year is 365 days, for retention periods); a bare number means seconds. Returns milliseconds, or `undefined`
 * when the text is not a duration.
 */
export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|y)?\s*$/.exec(text);
  if (!match) return undefined;
  const unit = (match[2] ?? 's') as keyof typeof UNIT_MS;
  return Math.round(Number(match[1]) * UNIT_MS[unit]);
}

/**
 * The inverse of {@link parseDuration} for a value that was never written down: the largest
 * exact unit (259200000 → `3d`). A configured value is said as written: {@link durationAsWritten}.
 */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    if (ms >= UNIT_MS[unit] && ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${ms}ms`;
}

/**
 * A valid duration as the operator wrote it, for messages (`MAINTENANCE_NOTICE_LEAD=72h` says
 * "72h", not "3d"): spaces dropped, a bare number given its unit (`20` → `20s`).
 */
export function durationAsWritten(text: string): string {
  const compact = text.replace(/\s+/g, '');
  return /^\d+(\.\d+)?$/.test(compact) ? `${compact}s` : compact;
}
