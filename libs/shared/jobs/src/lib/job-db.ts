import type { EntityManager, Knex } from '@mikro-orm/postgresql';
import type { JobDb } from './job-queue';

/**
 * Runs pg-boss's statements on the MikroORM transaction of `em`, so jobs commit or roll back
 * with our rows: a crash can never leave a notice without its job (or a job without its notice).
 * The values travel as real bind parameters (10,000 jobs are one JSON value).
 */
export function transactionJobDb(em: EntityManager): JobDb {
  const transaction = em.getTransactionContext<Knex.Transaction>();
  if (!transaction) throw new Error('transactionJobDb needs an EntityManager inside a transaction');
  return {
    async executeSql(text: string, values: unknown[] = []) {
      const { sql, bindings } = toKnexBindings(text, values);
      const result = (await transaction.raw(sql, bindings as Knex.Value[])) as { rows: unknown[] };
      return { rows: result.rows };
    },
  };
}

/**
 * pg-boss writes PostgreSQL's numbered `$1…$n` placeholders; knex binds `?` in order of
 * appearance. Each `$n` becomes a `?` with its value at that position (so `$2 … $1 … $2` binds
 * three values), and a literal `?` (a jsonb operator) is escaped so knex leaves it alone.
 */
export function toKnexBindings(text: string, values: readonly unknown[]): { sql: string; bindings: unknown[] } {
  const bindings: unknown[] = [];
  const sql = text.replace(/\$(\d+)|\?/g, (_match, index: string | undefined) => {
    if (index === undefined) return '\\?';
    bindings.push(values[Number(index) - 1] ?? null);
    return '?';
  });
  return { sql, bindings };
}
