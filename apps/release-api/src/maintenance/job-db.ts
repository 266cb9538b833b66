import type { EntityManager, Knex } from '@mikro-orm/postgresql';
import type { JobDb } from '@keyhaven/jobs';

/**
 * Runs pg-boss's statements on the MikroORM transaction of `em`, so jobs commit or roll back
 * with our rows: a crash can never leave a notice without its job (or a job without its notice).
 * pg-boss writes `$1…$n` placeholders; knex binds `?` in order of appearance, so the values are
 * reordered to match. The values travel as real bind parameters (10,000 jobs are one JSON value).
 */
export function transactionJobDb(em: EntityManager): JobDb {
  const transaction = em.getTransactionContext<Knex.Transaction>();
  if (!transaction) throw new Error('transactionJobDb needs an EntityManager inside a transaction');
  return {
    async executeSql(text: string, values: unknown[] = []) {
      const bindings: Knex.Value[] = [];
      const sql = text.replace(/\$(\d+)/g, (_match, index: string) => {
        bindings.push((values[Number(index) - 1] ?? null) as Knex.Value);
        return '?';
      });
      const result = (await transaction.raw(sql, bindings)) as { rows: unknown[] };
      return { rows: result.rows };
    },
  };
}
