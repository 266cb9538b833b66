import { hasText, isCalendarDay, isInstant } from './input-rules';

describe('isInstant', () => {
  it.each([
    '2026-12-05T22:00:00Z',
    '2026-12-05T22:00Z',
    '2024-02-29T23:59:59.123456789+01:00',
    '2026-12-05T22:00:00-0530',
    '0001-01-01T00:00:00Z',
    '9999-12-31T23:59:59Z',
  ])('takes %s', (value) => {
    expect(isInstant(value)).toBe(true);
  });

  it.each([
    ['no offset', '2026-12-05T22:00:00'],
    ['no such day', '2026-02-30T00:00:00Z'],
    ['no leap day', '2025-02-29T00:00:00Z'],
    ['month 13', '2026-13-01T00:00:00Z'],
    ['hour 24', '2026-12-05T24:00:00Z'],
    ['second 60', '2026-12-05T23:59:60Z'],
    ['year 0', '0000-01-01T00:00:00Z'],
    ['a six-digit year', '+010000-01-01T00:00:00Z'],
    ['a date only', '2026-12-05'],
    ['trailing text', '2026-12-05T22:00:00Z\n'],
  ])('refuses %s', (_label, value) => {
    expect(isInstant(value)).toBe(false);
  });
});

describe('isCalendarDay', () => {
  it('takes days that exist and refuses the others', () => {
    expect(['2024-02-29', '0001-01-01', '9999-12-31'].map(isCalendarDay)).toEqual([true, true, true]);
    expect(['2026-02-30', '0000-01-01', '2026-1-1', '2026-01-01T00:00:00Z'].map(isCalendarDay)).toEqual([false, false, false, false]);
  });
});

describe('hasText', () => {
  it('wants something visible and no control characters', () => {
    expect(['Database upgrade', 'a\tb', 'line\nbreak'].map(hasText)).toEqual([true, true, true]);
    expect(['', '   ', '\t\n', 'a\u0000b', 'bell\u0007'].map(hasText)).toEqual([false, false, false, false, false]);
  });
});
