import { parseRetryAfter } from './retry-after';

describe(parseRetryAfter.name, () => {
  const now = new Date('2026-03-01T12:00:00Z');
  const day = 86_400_000;

  it('reads delay-seconds', () => {
    expect(parseRetryAfter('120', now, day)).toEqual(new Date('2026-03-01T12:02:00Z'));
  });

  it('reads an HTTP-date', () => {
    expect(parseRetryAfter('Sun, 01 Mar 2026 13:00:00 GMT', now, day)).toEqual(new Date('2026-03-01T13:00:00Z'));
  });

  it('treats a date in the past as now', () => {
    expect(parseRetryAfter('Sun, 01 Mar 2026 11:00:00 GMT', now, day)).toEqual(now);
  });

  it('caps an absurd delay so a broken proxy cannot silence the installation for months', () => {
    expect(parseRetryAfter('99999999', now, day)).toEqual(new Date(now.getTime() + day));
  });

  it.each([null, undefined, '', 'soon', '-5', '1.5'])('returns nothing for %p', (value) => {
    expect(parseRetryAfter(value, now, day)).toBeUndefined();
  });
});
