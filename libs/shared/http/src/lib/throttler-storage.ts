import { OnModuleDestroy } from '@nestjs/common';
import type { SyncThrottlerStorage, ThrottlerStorageRecord } from './lane-throttler';

interface HitLog {
  /** Expiry times of the hits, oldest first; those before `head` have expired. */
  expiries: number[];
  head: number;
  /** When the current window ends (what `timeToExpire` reports). */
  windowEndsAt: number;
  blockedUntil: number;
}

/** Expired entries are dropped from a log's front once there are this many (and they are half of it). */
const COMPACT_AT = 256;

/**
 * @nestjs/throttler's in-memory storage with the same counting (a sliding log of hit expiry
 * times per key, blocking for `blockDuration` once the limit is passed, the log cleared when a
 * block ends) in O(1) per request. The library's own storage copies the key's whole log on
 * every request (`filter` of the hits still alive), so a request costs in proportion to the hits
 * within the window: a few hundred microseconds per request once one address has made thousands
 * — an office behind one NAT refreshing its sessions — on the path every signed-in client calls.
 * Here hits arrive in time order, so the expired ones are always at the front: they are skipped
 * with a cursor and the array compacted now and then.
 */
export class SlidingLogThrottlerStorage implements SyncThrottlerStorage, OnModuleDestroy {
  private readonly logs = new Map<string, HitLog>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(sweepEveryMs = 60_000) {
    this.sweeper = setInterval(() => this.sweep(Date.now()), sweepEveryMs);
    this.sweeper.unref();
  }

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    return this.incrementNow(key, ttl, limit, blockDuration, throttlerName);
  }

  /** `increment` without a promise (LaneThrottlerGuard.canActivateNow). */
  incrementNow(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): ThrottlerStorageRecord {
    const now = Date.now();
    const id = `${throttlerName}\u0000${key}`;
    let log = this.logs.get(id);
    if (!log) {
      log = { expiries: [], head: 0, windowEndsAt: now + ttl, blockedUntil: 0 };
      this.logs.set(id, log);
    }
    while (log.head < log.expiries.length && log.expiries[log.head] <= now) log.head += 1;
    if (log.head >= COMPACT_AT && log.head * 2 >= log.expiries.length) {
      log.expiries = log.expiries.slice(log.head);
      log.head = 0;
    }
    if (log.windowEndsAt <= now) log.windowEndsAt = now + ttl;
    if (log.blockedUntil !== 0 && log.blockedUntil <= now) {
      // The block is over: the caller starts afresh (as the library's storage does).
      log.blockedUntil = 0;
      log.expiries = [];
      log.head = 0;
    }
    if (blockDuration <= 0) {
      // No block: a hit beyond the limit is refused and not counted; the caller may retry as soon as the oldest hit expires.
      const alive = log.expiries.length - log.head;
      const refused = alive >= limit;
      if (!refused) log.expiries.push(now + ttl);
      return {
        totalHits: log.expiries.length - log.head + (refused ? 1 : 0),
        timeToExpire: Math.ceil((log.windowEndsAt - now) / 1000),
        isBlocked: refused,
        timeToBlockExpire: refused ? Math.ceil((log.expiries[log.head] - now) / 1000) : 0,
      };
    }
    const blocked = log.blockedUntil !== 0;
    if (!blocked) log.expiries.push(now + ttl);
    const totalHits = log.expiries.length - log.head;
    if (!blocked && totalHits > limit) log.blockedUntil = now + blockDuration;
    return {
      totalHits,
      timeToExpire: Math.ceil((log.windowEndsAt - now) / 1000),
      isBlocked: log.blockedUntil !== 0,
      timeToBlockExpire: log.blockedUntil === 0 ? 0 : Math.ceil((log.blockedUntil - now) / 1000),
    };
  }

  /** Keys whose hits have all expired and that are not blocked take no memory. */
  sweep(now: number): void {
    for (const [id, log] of this.logs) {
      const last = log.expiries[log.expiries.length - 1];
      if ((last === undefined || last <= now) && (log.blockedUntil === 0 || log.blockedUntil <= now)) this.logs.delete(id);
    }
  }

  /** How many keys are held (for tests). */
  get size(): number {
    return this.logs.size;
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }
}
