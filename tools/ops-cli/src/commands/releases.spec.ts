import { Args } from '../cli/command';
import { UsageError } from '../cli/cli-error';
import { isoDate } from './releases';

describe(isoDate.name, () => {
  const at = (value: string) => isoDate(new Args({ 'released-at': value }, [], 'releases add'), 'released-at');

  it('reads a date as midnight UTC and a date-time with its offset', () => {
    expect(at('2026-11-20')).toBe('2026-11-20T00:00:00.000Z');
    expect(at('2026-11-20T09:00:00Z')).toBe('2026-11-20T09:00:00.000Z');
    expect(at('2026-11-20T09:00:00+02:00')).toBe('2026-11-20T07:00:00.000Z');
  });

  it('leaves an absent option undefined', () => {
    expect(isoDate(new Args({}, [], 'x'), 'released-at')).toBeUndefined();
  });

  it.each(['2026-11-20T09:00:00', 'tomorrow', '20/11/2026', '2026-13-45'])('refuses %p instead of guessing a time zone', (value) => {
    expect(() => at(value)).toThrow(UsageError);
  });
});
