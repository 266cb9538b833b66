import { UsageError } from '../cli/cli-error';
import { Args } from '../cli/command';

/**
 * Input rules shared by `maintenance` and `subscriptions`: instants with an explicit offset,
 * environment lists and IANA time zones — checked before any request, so a typo is a usage
 * error (exit 2) and never a window announced at the wrong hour.
 */

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|([+-])(\d{2}):?(\d{2}))$/i;

/**
 * An ISO 8601 date-time with `Z` or an offset (`2026-12-01T09:00:00+01:00`) → UTC ISO string.
 * Without an offset the operator's wall-clock time would have to be guessed (the machine's
 * zone? the service's?), and a maintenance window an hour off is worse than a refused command.
 * A plain date is refused for the same reason. Impossible dates (February 30) are refused
 * instead of rolling over the way `Date.parse` does.
 */
export function parseInstant(value: string, option: string, command = ''): string {
  const refuse = (why: string) =>
    new UsageError(
      `--${option}: ${why}: expected an ISO 8601 date-time with Z or an offset, e.g. 2026-12-01T09:00:00Z or 2026-12-01T10:00+01:00, got "${value}"`,
      command,
    );
  const match = INSTANT.exec(value.trim());
  if (!match) {
    const localOnly = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$/.test(value.trim());
    throw refuse(localOnly ? 'no time zone offset (the CLI does not guess one)' : 'not a date-time');
  }
  const [, year, month, day, hour, minute, second = '0', , zone, , offsetHours = '0', offsetMinutes = '0'] = match;
  const inMonth = new Date(Date.UTC(Number(year), Number(month) - 1, 1));
  inMonth.setUTCMonth(inMonth.getUTCMonth() + 1, 0);
  const valid =
    Number(month) >= 1 &&
    Number(month) <= 12 &&
    Number(day) >= 1 &&
    Number(day) <= inMonth.getUTCDate() &&
    Number(hour) <= 23 &&
    Number(minute) <= 59 &&
    Number(second) <= 59 &&
    (zone.toUpperCase() === 'Z' || (Number(offsetHours) <= 23 && Number(offsetMinutes) <= 59));
  const time = Date.parse(value.trim().replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  if (!valid || Number.isNaN(time)) throw refuse('not a valid date-time');
  return new Date(time).toISOString();
}

/** `parseInstant` of an option, or undefined when it is absent. */
export function instantOption(args: Args, option: string, command: string): string | undefined {
  const value = args.string(option);
  return value === undefined ? undefined : parseInstant(value, option, command);
}

/** Environment names as release-api accepts them (docs/maintenance.md, `/v1/check?environment=`). */
const ENVIRONMENT = /^[a-z0-9][a-z0-9-]{0,31}$/;

/** `--environments production,staging` → `['production', 'staging']`; duplicates dropped. */
export function parseEnvironments(value: string, command = ''): string[] {
  const names = value.split(',').map((name) => name.trim());
  const bad = names.find((name) => !ENVIRONMENT.test(name));
  if (bad !== undefined) {
    throw new UsageError(
      `--environments: expected comma-separated names of lower-case letters, digits and "-" (not first; at most 32 each), got ${bad === '' ? 'an empty name' : `"${bad}"`} in "${value}"`,
      command,
    );
  }
  return [...new Set(names)];
}

/** An IANA time zone name this runtime knows (`Europe/Berlin`); the service checks it again. */
export function parseTimeZone(value: string, command = ''): string {
  try {
    // Throws a RangeError for a zone the ICU database does not know (the same test as the service's).
    new Intl.DateTimeFormat('en-GB', { timeZone: value });
    return value;
  } catch {
    throw new UsageError(`--time-zone: not an IANA time zone name (e.g. Europe/Berlin, America/New_York, UTC), got "${value}"`, command);
  }
}

/** `2026-12-01T09:00:00.000Z` → `2026-12-01 09:00 UTC` (seconds only when not zero); `-` for none. */
export function formatUtc(value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '-';
  const time = Date.parse(value);
  if (Number.isNaN(time)) return value;
  const iso = new Date(time).toISOString();
  const seconds = iso.slice(17, 23) === '00.000' ? '' : `:${iso.slice(17, 19)}`;
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}${seconds} UTC`;
}

/** `[]` means every environment (the service's rule for windows and subscriptions). */
export function formatEnvironments(environments: readonly string[] | null | undefined): string {
  return !environments || environments.length === 0 ? 'all' : environments.join(',');
}
