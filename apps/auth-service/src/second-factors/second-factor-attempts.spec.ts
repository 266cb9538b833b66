import { delayAfter } from './second-factor-attempts';

describe('delayAfter', () => {
  const policy = { free: 3, delayBaseMs: 30_000, lockAfter: 10, lockDurationMs: 3_600_000, retentionMs: 86_400_000 };

  it('lets the first attempts through without delay, then doubles', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => delayAfter(n, policy))).toEqual([0, 0, 30_000, 60_000, 120_000, 240_000]);
  });
});
