import { UsageError } from '../cli/cli-error';
import { formatEnvironments, formatUtc, parseEnvironments, parseInstant, parseTimeZone } from './maintenance-input';

describe(parseInstant.name, () => {
  const sut = (value: string) => parseInstant(value, 'starts-at', 'maintenance announce');

  it('reads Z and offsets (with or without a colon, with or without seconds) as the same UTC instant', () => {
    expect(sut('2026-12-01T09:00:00Z')).toBe('2026-12-01T09:00:00.000Z');
    expect(sut('2026-12-01t09:00z')).toBe('2026-12-01T09:00:00.000Z');
    expect(sut('2026-12-01T10:00:00+01:00')).toBe('2026-12-01T09:00:00.000Z');
    expect(sut('2026-12-01T10:00+0100')).toBe('2026-12-01T09:00:00.000Z');
    expect(sut('2026-12-01T04:30:00.250-04:30')).toBe('2026-12-01T09:00:00.250Z');
    expect(sut('2026-12-01T00:30:00+01:00')).toBe('2026-11-30T23:30:00.000Z');
  });

  it.each(['2026-12-01T09:00:00', '2026-12-01 09:00', '2026-12-01'])('refuses %p without an offset and says so', (value) => {
    expect(() => sut(value)).toThrow(UsageError);
    expect(() => sut(value)).toThrow(/--starts-at: no time zone offset .*got "/);
  });

  it.each(['2026-02-30T09:00:00Z', '2026-13-01T09:00:00Z', '2026-12-01T24:00:00Z', '2026-12-01T09:60:00Z', 'tomorrow 9am', '1733043600'])(
    'refuses %p instead of rolling it over',
    (value) => {
      expect(() => sut(value)).toThrow(UsageError);
    },
  );

  it('accepts the leap day of a leap year only', () => {
    expect(sut('2028-02-29T12:00:00Z')).toBe('2028-02-29T12:00:00.000Z');
    expect(() => sut('2027-02-29T12:00:00Z')).toThrow(UsageError);
  });

  it('names the command for the --help hint', () => {
    try {
      sut('2026-12-01T09:00');
      throw new Error('expected a usage error');
    } catch (error) {
      expect(error).toBeInstanceOf(UsageError);
      expect((error as UsageError).helpCommand).toBe('maintenance announce');
      expect((error as UsageError).exitCode).toBe(2);
    }
  });
});

describe(parseEnvironments.name, () => {
  it('splits, trims and de-duplicates', () => {
    expect(parseEnvironments('production, staging,production')).toEqual(['production', 'staging']);
  });

  it('accepts the longest name and inner dashes', () => {
    expect(parseEnvironments(`eu-west-1,${'a'.repeat(32)}`)).toEqual(['eu-west-1', 'a'.repeat(32)]);
  });

  it.each(['production,', 'Production', 'eu west', '-prod', 'a'.repeat(33), ''])('refuses %p', (value) => {
    expect(() => parseEnvironments(value)).toThrow(UsageError);
  });
});

describe(parseTimeZone.name, () => {
  it('accepts IANA names and refuses others', () => {
    expect(parseTimeZone('Europe/Berlin')).toBe('Europe/Berlin');
    expect(parseTimeZone('UTC')).toBe('UTC');
    expect(() => parseTimeZone('Europe/Atlantis')).toThrow(/--time-zone: not an IANA time zone/);
    expect(() => parseTimeZone('CEST+1')).toThrow(UsageError);
  });
});

describe(formatUtc.name, () => {
  it('prints minutes, seconds only when set, and a dash for none', () => {
    expect(formatUtc('2026-12-01T09:00:00.000Z')).toBe('2026-12-01 09:00 UTC');
    expect(formatUtc('2026-12-01T10:00:30+01:00')).toBe('2026-12-01 09:00:30 UTC');
    expect(formatUtc(null)).toBe('-');
    expect(formatUtc(undefined)).toBe('-');
    expect(formatUtc('soon')).toBe('soon');
  });
});

describe(formatEnvironments.name, () => {
  it('shows no environments as all', () => {
    expect(formatEnvironments([])).toBe('all');
    expect(formatEnvironments(['production', 'staging'])).toBe('production,staging');
  });
});
