import { durationAsWritten, formatDuration, parseDuration } from './duration';

describe('parseDuration', () => {
  it.each([
    ['72h', 259_200_000],
    ['30m', 1_800_000],
    ['20s', 20_000],
    ['1500ms', 1_500],
    ['2d', 172_800_000],
    ['45', 45_000],
    ['0.5h', 1_800_000],
    ['3y', 94_608_000_000],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 'h', '3 weeks', '-5s', '10x', '1h30m'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('formatDuration', () => {
  it('uses the largest exact unit', () => {
    expect(formatDuration(259_200_000)).toBe('3d');
    expect(formatDuration(3_600_000)).toBe('1h');
    expect(formatDuration(90_000)).toBe('90s');
    expect(formatDuration(1_500)).toBe('1500ms');
  });
});

describe('durationAsWritten', () => {
  it.each([
    ['72h', '72h'],
    [' 20 s ', '20s'],
    ['45', '45s'],
    ['3d', '3d'],
  ])('says %j as %j', (text, said) => {
    expect(durationAsWritten(text)).toBe(said);
  });
});
