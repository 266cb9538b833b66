import { refreshDelayMs } from './refresh';

describe('refreshDelayMs', () => {
  it('refreshes a 15-minute token after 12 minutes (80 %)', () => {
    expect(refreshDelayMs(900)).toBe(720_000);
  });

  it('refreshes a 2-minute token a minute before it expires', () => {
    expect(refreshDelayMs(120)).toBe(60_000);
  });

  it('never schedules sooner than 5 s, even for a token about to expire or a nonsense lifetime', () => {
    expect(refreshDelayMs(30)).toBe(5_000);
    expect(refreshDelayMs(-1)).toBe(5_000);
  });
});
