import { ManualClock, SystemClock } from './clock';

describe(ManualClock.name, () => {
  it('moves only when told to', () => {
    const clock = new ManualClock('2026-11-27T10:00:00Z');
    expect(clock.now().toISOString()).toBe('2026-11-27T10:00:00.000Z');
    clock.advance(90_000);
    expect(clock.nowMs()).toBe(Date.parse('2026-11-27T10:01:30Z'));
    clock.set('2027-01-01T00:00:00Z');
    expect(clock.now().toISOString()).toBe('2027-01-01T00:00:00.000Z');
  });
});

describe(SystemClock.name, () => {
  it('follows the system time', () => {
    const before = Date.now();
    const now = new SystemClock().nowMs();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });
});
