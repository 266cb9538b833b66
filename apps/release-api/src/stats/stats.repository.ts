import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';

/** Checks counted on one day for one version, channel and edition. */
export interface VersionCount {
  day: string;
  version: string;
  channel: string;
  edition: string;
  count: number;
}

/** The queries of `release.check_count`, each on the EntityManager it is given (never its own transaction). */
@Injectable()
export class StatsRepository {
  /** Adds the counts in one multi-row upsert. */
  async addCounts(em: EntityManager, counts: readonly VersionCount[]): Promise<void> {
    if (counts.length === 0) return;
    const values: unknown[] = [];
    const rows: string[] = [];
    for (const { day, version, channel, edition, count } of counts) {
      rows.push('(?::date, ?, ?, ?, ?)');
      values.push(day, version, channel, edition, count);
    }
    await em.getConnection().execute(
      `insert into release.check_count (day, version, channel, edition, count) values ${rows.join(', ')}
       on conflict (day, version, channel, edition) do update set count = check_count.count + excluded.count`,
      values,
      'run',
      em.getTransactionContext(),
    );
  }

  /** Deletes the counts of days before `day` (YYYY-MM-DD). */
  async deleteBefore(em: EntityManager, day: string): Promise<void> {
    await em.getConnection().execute('delete from release.check_count where day < ?::date', [day], 'run', em.getTransactionContext());
  }

  /** The counts of the days from `start` to `end` (inclusive), newest day first, then the most counted. */
  async between(em: EntityManager, start: string, end: string): Promise<VersionCount[]> {
    const rows = await em.getConnection().execute<{ day: string | Date; version: string; channel: string; edition: string; count: string }[]>(
      `select to_char(day, 'YYYY-MM-DD') as day, version, channel, edition, count from release.check_count
       where day between ?::date and ?::date order by day desc, count desc, version`,
      [start, end],
      'all',
      em.getTransactionContext(),
    );
    return rows.map((row) => ({ day: String(row.day), version: row.version, channel: row.channel, edition: row.edition, count: Number(row.count) }));
  }
}
