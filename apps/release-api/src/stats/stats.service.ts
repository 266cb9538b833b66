import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { Clock } from '@keyhaven/config';
import { ReleaseError } from '../app/release-errors';
import { RELEASE_CONFIG, ReleaseConfig } from '../config/release.config';
import { StatsRepository, type VersionCount } from './stats.repository';

/** 0001-01-01T00:00:00Z (Date.UTC would read year 1 as 1901). */
const FIRST_DAY_MS = Date.parse('0001-01-01T00:00:00Z');
const DAY_MS = 86_400_000;

/**
 * Counts checks per day × version × channel × edition — nothing else about a caller is kept.
 * Counts gather in memory and are written every RELEASE_STATS_FLUSH with one multi-row upsert,
 * so the hot check path never waits for the database.
 */
@Injectable()
export class StatsService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(StatsService.name);
  /** Counts not written yet: by day, then by `keyOf(version, channel, edition)`. */
  private pending = new Map<string, Map<string, number>>();
  private timer: NodeJS.Timeout | undefined;
  private lastPurgeDay: string | undefined;
  private day: { startMs: number; text: string } | undefined;

  constructor(
    private readonly em: EntityManager,
    private readonly repository: StatsRepository,
    private readonly clock: Clock,
    @Inject(RELEASE_CONFIG) private readonly config: ReleaseConfig,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => {
      this.flush().catch((error: unknown) => this.logger.warn(`Could not write check counts: ${String(error)}`));
    }, this.config.stats.flushMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush().catch((error: unknown) => this.logger.warn(`Could not write check counts on shutdown: ${String(error)}`));
  }

  count(version: string, channel: string, edition: string): void {
    this.countKey(StatsService.keyOf(version, channel, edition));
  }

  /** What `count` counts a check under (beside the day): made once per kind of check by the caller, see `countKey`. */
  static keyOf(version: string, channel: string, edition: string): string {
    return `${version}\u0000${channel}\u0000${edition}`;
  }

  /** `count` with the key from `keyOf`: the warm check path counts without building a string. */
  countKey(key: string): void {
    const day = this.today();
    let counts = this.pending.get(day);
    if (!counts) this.pending.set(day, (counts = new Map()));
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }

  /** The UTC day (YYYY-MM-DD) of the clock's now; formatted once a day, not on every check. */
  private today(): string {
    const nowMs = this.clock.nowMs();
    if (!this.day || nowMs < this.day.startMs || nowMs >= this.day.startMs + DAY_MS) {
      const startMs = nowMs - (((nowMs % DAY_MS) + DAY_MS) % DAY_MS);
      this.day = { startMs, text: new Date(startMs).toISOString().slice(0, 10) };
    }
    return this.day.text;
  }

  /** Writes the gathered counts (one upsert) and deletes counts past the retention. */
  async flush(): Promise<void> {
    const batch = this.pending;
    if (batch.size > 0) {
      this.pending = new Map();
      const counts = [...batch].flatMap(([day, byKey]) =>
        [...byKey].map(([key, count]) => {
          const [version = '', channel = '', edition = ''] = key.split('\u0000');
          return { day, version, channel, edition, count };
        }),
      );
      try {
        await this.repository.addCounts(this.em.fork(), counts);
      } catch (error) {
        // Put them back so the next flush tries again.
        for (const [day, byKey] of batch) {
          let counts = this.pending.get(day);
          if (!counts) this.pending.set(day, (counts = new Map()));
          for (const [key, count] of byKey) counts.set(key, (counts.get(key) ?? 0) + count);
        }
        throw error;
      }
    }
    const today = this.clock.now().toISOString().slice(0, 10);
    if (this.lastPurgeDay !== today) {
      const cutoff = new Date(this.clock.nowMs() - this.config.stats.retentionMs).toISOString().slice(0, 10);
      await this.repository.deleteBefore(this.em.fork(), cutoff);
      this.lastPurgeDay = today;
    }
  }

  async versions(from: string | undefined, to: string | undefined): Promise<{ days: VersionCount[] }> {
    const end = to ?? this.clock.now().toISOString().slice(0, 10);
    // 29 days before `end`, but never before 0001-01-01: PostgreSQL has no year 0.
    const start = from ?? new Date(Math.max(FIRST_DAY_MS, new Date(`${end}T00:00:00Z`).getTime() - 29 * 86_400_000)).toISOString().slice(0, 10);
    if (start > end) throw new ReleaseError('validation_failed', `from (${start}) must not be after to (${end}).`);
    return { days: await this.repository.between(this.em.fork(), start, end) };
  }
}
