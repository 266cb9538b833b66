import { Logger } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/postgresql';

/**
 * Applies pending migrations: an explicit, logged boot step (and the `migrate` target), never
 * a side effect of module init. The service's schema is created first so the migrations
 * table can live inside it.
 */
export async function runMigrations(
  orm: MikroORM,
  logger: Pick<Logger, 'log'> = new Logger('Migrations'),
  /** Stop after this migration (`migrate --to <name>`: e.g. to match data being moved in). */
  to?: string,
): Promise<string[]> {
  const schema = orm.config.get('schema');
  if (schema) await orm.em.getConnection().execute(`create schema if not exists "${schema}"`);
  const migrator = orm.getMigrator();
  let pending = await migrator.getPendingMigrations();
  if (to) {
    const last = pending.findIndex((m) => m.name === to);
    const executed = await migrator.getExecutedMigrations();
    if (last < 0 && !executed.some((m) => m.name === to)) throw new Error(`There is no migration named ${to}`);
    pending = pending.slice(0, last + 1);
  }
  if (pending.length === 0) {
    logger.log(`Database schema "${schema}" is up to date`);
    return [];
  }
  logger.log(`Applying ${pending.length} migration(s) to schema "${schema}": ${pending.map((m) => m.name).join(', ')}`);
  const applied = await migrator.up(to ? { to: pending.at(-1)?.name } : undefined);
  logger.log(`Applied ${applied.length} migration(s)`);
  return applied.map((m) => m.name);
}
