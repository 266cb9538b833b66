import { applyDecorators } from '@nestjs/common';
import { Matches, ValidateBy, ValidateIf, ValidationOptions } from 'class-validator';

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
/** The same shape with every field in range (hour 00–23, minute and second 00–59, offset up to ±23:59). */
const TIME_IN_RANGE = /T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?(Z|[+-]([01]\d|2[0-3]):?[0-5]\d)$/i;

/**
 * The years an instant or a day may fall in: four-digit years from 1. PostgreSQL has no year 0
 * (JavaScript's year 0 is its 1 BC), so "0000-01-01" was a 500; year 1 stays, because real OSV
 * records carry Go's zero time, 0001-01-01T00:00:00Z.
 */
export const EARLIEST_YEAR = 1;
export const LATEST_YEAR = 9999;

function yearInRange(text: string): boolean {
  const year = Number(text.slice(0, 4));
  return year >= EARLIEST_YEAR && year <= LATEST_YEAR;
}

/**
 * A point in time: ISO 8601 / RFC 3339 with `Z` or an offset, on a day that exists (no February
 * 30), every field in range, in the years EARLIEST_YEAR–LATEST_YEAR. The rule of every instant
 * in a body; `isInstant` is the same rule for input that is not a DTO (OSV documents).
 */
export function isInstant(value: unknown): boolean {
  return typeof value === 'string' && WITH_OFFSET.test(value) && TIME_IN_RANGE.test(value) && isCalendarDay(value.slice(0, 10));
}

export const IsInstant = (options?: ValidationOptions): PropertyDecorator =>
  applyDecorators(
    Matches(WITH_OFFSET, { message: '$property must be an ISO 8601 time with Z or an offset, e.g. 2026-12-05T22:00:00Z', ...options }),
    ValidateBy(
      { name: 'instant', validator: { validate: isInstant } },
      {
        message: `$property must be a real date and time (no February 30, hours 00–23) in the years ${EARLIEST_YEAR}–${LATEST_YEAR}, e.g. 2026-12-05T22:00:00Z`,
        ...options,
      },
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
