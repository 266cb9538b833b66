import { applyDecorators } from '@nestjs/common';
import { IsISO8601, isISO8601, Matches, ValidateBy, ValidateIf, ValidationOptions } from 'class-validator';

/**
 * The validation rules every DTO of both services uses for the kinds of input that silently
 * changed meaning before (issue #15): absent vs null, times without a zone, impossible dates,
 * blank text. One decorator per kind, so a field cannot be validated two different ways.
 */

/**
 * The field may be left out, but `null` is refused. class-validator's `@IsOptional()` skips
 * null as well, so `{"title": null}` on a PATCH reached a NOT NULL column (500). A field that
 * really takes null (to clear it) adds `@ValidateIf((_o, v) => v !== null)` after this one.
 * The lint config forbids `IsOptional` so there is one way to say "optional".
 */
export const Omittable = (): PropertyDecorator => ValidateIf((_object, value) => value !== undefined);

/**
 * ISO 8601 with a zone designator: `Z` or `±hh:mm`. A time without one would have to be guessed
 * as some zone; refusing it keeps "22:00" from meaning different instants to ops and service.
 */
const WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;

/** The years an instant or a day may fall in: PostgreSQL has no year 0, and no Keyhaven date predates Unix time. */
export const EARLIEST_YEAR = 1970;
export const LATEST_YEAR = 9999;

function yearInRange(text: string): boolean {
  const year = Number(text.slice(0, 4));
  return year >= EARLIEST_YEAR && year <= LATEST_YEAR;
}

/**
 * A point in time: a real calendar date (strict ISO 8601: no February 30), with `Z` or an
 * offset, in the years EARLIEST_YEAR–LATEST_YEAR. Used for every instant in a body; `isInstant`
 * is the same rule for input that is not a DTO (OSV documents).
 */
export function isInstant(value: unknown): boolean {
  return typeof value === 'string' && isISO8601(value, { strict: true }) && WITH_OFFSET.test(value) && yearInRange(value);
}

export const IsInstant = (options?: ValidationOptions): PropertyDecorator =>
  applyDecorators(
    IsISO8601({ strict: true }, { message: '$property must be a real date and time, e.g. 2026-12-05T22:00:00Z', ...options }),
    Matches(WITH_OFFSET, { message: '$property must be an ISO 8601 time with Z or an offset, e.g. 2026-12-05T22:00:00Z', ...options }),
    ValidateBy(
      { name: 'instantYear', validator: { validate: (value: unknown) => typeof value === 'string' && yearInRange(value) } },
      { message: `$property must fall in the years ${EARLIEST_YEAR}–${LATEST_YEAR}`, ...options },
    ),
  );

/** A calendar day `YYYY-MM-DD` that exists (no 2026-02-30), in the years EARLIEST_YEAR–LATEST_YEAR. */
export const IsCalendarDay = (options?: ValidationOptions): PropertyDecorator =>
  ValidateBy(
    {
      name: 'calendarDay',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && isCalendarDay(value),
        defaultMessage: () => `$property must be a real day, YYYY-MM-DD, in the years ${EARLIEST_YEAR}–${LATEST_YEAR}`,
      },
    },
    options,
  );

export function isCalendarDay(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text) || !yearInRange(text)) return false;
  const date = new Date(`${text}T00:00:00Z`);
  // Date rolls 2026-02-30 over to March 2; a real day survives the round trip.
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

/**
 * Text a person reads (a title, a name, a reason): at least one visible character, and no
 * control characters but tab and line breaks. A whitespace-only title was stored as if it
 * said something.
 */
export const HasText = (options?: ValidationOptions): PropertyDecorator =>
  ValidateBy(
    {
      name: 'hasText',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && hasText(value),
        defaultMessage: () => '$property must contain visible text (not only spaces) and no control characters',
      },
    },
    options,
  );

// eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

export function hasText(value: string): boolean {
  return /\S/u.test(value) && !CONTROL.test(value);
}
