import type { EntityManager } from '@mikro-orm/postgresql';

/** A stored value sealed with the key ring (`v1.<kid>.…`), with the row id it was sealed for. */
export interface SealedValue {
  id: string;
  sealed: string;
}

/** The reads the boot's key check needs of a column holding sealed values (see KeyCustody). */
export interface SealedColumn {
  /** Key ids that seal values in the column → how many each seals. */
  kidCounts(em: EntityManager): Promise<Map<string, number>>;
  /** One value sealed under `kid`, if any. */
  firstUnder(em: EntityManager, kid: string): Promise<SealedValue | undefined>;
  /** Up to `limit` values, a random sample. */
  sample(em: EntityManager, limit: number): Promise<SealedValue[]>;
}

/**
 * The SealedColumn queries of one table's column, for the repository that owns the table: it
 * names its table, id and column, and so keeps every statement on its table in its own file.
 */
export function sealedColumn(table: string, idColumn: string, column: string): SealedColumn {
  const run = <T>(em: EntityManager, sql: string, params: unknown[] = []) => em.getConnection().execute<T[]>(sql, params, 'all', em.getTransactionContext());
  return {
    async kidCounts(em) {
      const rows = await run<{ kid: string; n: number }>(em, `select split_part(${column}, '.', 2) as kid, count(*)::int as n from ${table} group by 1`);
      return new Map(rows.map((row) => [row.kid, row.n]));
    },
    async firstUnder(em, kid) {
      const [row] = await run<SealedValue>(em, `select ${idColumn} as id, ${column} as sealed from ${table} where split_part(${column}, '.', 2) = ? limit 1`, [
        kid,
      ]);
      return row;
    },
    sample(em, limit) {
      return run<SealedValue>(em, `select ${idColumn} as id, ${column} as sealed from ${table} order by random() limit ?`, [limit]);
    },
  };
}
