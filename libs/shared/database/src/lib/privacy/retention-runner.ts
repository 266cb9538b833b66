import type { EntityManager } from '@mikro-orm/postgresql';
import type { DataInventory, PruneRule } from './data-inventory';

export interface RetentionReport {
  /** Rows deleted per table. */
  deleted: Record<string, number>;
  ms: number;
}

/**
 * Runs every prune rule of an inventory. Each batch is its own short transaction that deletes at
 * most `batchSize` rows picked with `SKIP LOCKED`: a million expired rows never hold one long
 * lock, sign-ins that write the same tables go on between batches, and two replicas running the
 * job at once split the work instead of waiting on each other.
 */
export async function runRetention(em: EntityManager, inventory: DataInventory, now: Date, batchSize = 5_000): Promise<RetentionReport> {
  const started = Date.now();
  const deleted: Record<string, number> = {};
  for (const table of inventory.tables) {
    const retention = table.retention;
    if (retention.kind !== 'period' && retention.kind !== 'expiry') continue;
    deleted[table.table] = await pruneTable(em, table.table, retention.prune, now, batchSize);
  }
  return { deleted, ms: Date.now() - started };
}

export async function pruneTable(em: EntityManager, table: string, rule: PruneRule, now: Date, batchSize: number): Promise<number> {
  let total = 0;
  for (;;) {
    const count = await em.fork().transactional(async (tx) => {
      const connection = tx.getConnection();
      const context = tx.getTransactionContext();
      if (rule.before) await connection.execute(rule.before.sql, rule.before.params(now), 'run', context);
      const rows: { n: string | number }[] = await connection.execute(
        `with doomed as (
           delete from ${table} where ${rule.key} in (select ${rule.key} from ${table} where ${rule.where} limit ${Math.trunc(batchSize)} for update skip locked)
           returning 1)
         select count(*) as n from doomed`,
        rule.params(now),
        'all',
        context,
      );
      return Number(rows[0]?.n ?? 0);
    });
    total += count;
    if (count < batchSize) return total;
  }
}

/** One log line for a retention run: what went from where, and how long it took. */
export function describeRetention(report: RetentionReport): string {
  return `Retention: deleted ${Object.entries(report.deleted)
    .map(([table, n]) => `${table} ${n}`)
    .join(', ')} in ${report.ms} ms`;
}
