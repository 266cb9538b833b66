import { nextPollDelay } from './poll-schedule';

describe(nextPollDelay.name, () => {
  const now = new Date('2026-03-01T00:00:00Z');
  const hour = 3_600_000;

  it('spreads the interval by the jitter in both directions', () => {
    expect(nextPollDelay({ intervalMs: 10 * hour, jitter: 0.1, random: 0, now })).toBe(9 * hour);
    expect(nextPollDelay({ intervalMs: 10 * hour, jitter: 0.1, random: 0.5, now })).toBe(10 * hour);
    expect(nextPollDelay({ intervalMs: 10 * hour, jitter: 0.1, random: 0.999_999_999, now })).toBe(11 * hour);
  });

  it('keeps the exact interval without jitter', () => {
    expect(nextPollDelay({ intervalMs: hour, jitter: 0, random: 0.9, now })).toBe(hour);
  });

  it('never polls before the Retry-After of the server', () => {
    const retryAt = new Date(now.getTime() + 30 * hour);
    expect(nextPollDelay({ intervalMs: hour, jitter: 0.1, random: 0.5, now, retryAt })).toBe(30 * hour);
  });

  it('ignores a Retry-After that comes sooner than the interval', () => {
    const retryAt = new Date(now.getTime() + 60_000);
    expect(nextPollDelay({ intervalMs: hour, jitter: 0, random: 0.5, now, retryAt })).toBe(hour);
  });
});
