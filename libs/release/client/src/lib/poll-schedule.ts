/**
 * The delay before the next poll: the interval spread by ±jitter so that thousands of
 * installations started by the same cron or upgrade do not hit the service in lockstep,
 * and never earlier than the server's `Retry-After`.
 */
export function nextPollDelay(options: {
  intervalMs: number;
  /** Fraction of the interval, 0 … 1. */
  jitter: number;
  /** A number in [0, 1), e.g. Math.random(). */
  random: number;
  now: Date;
  retryAt?: Date;
}): number {
  const spread = options.intervalMs * options.jitter * (2 * options.random - 1);
  const delay = Math.max(0, Math.round(options.intervalMs + spread));
  const retryDelay = options.retryAt ? options.retryAt.getTime() - options.now.getTime() : 0;
  return Math.max(delay, retryDelay);
}
