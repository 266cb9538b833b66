import { Logger } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/postgresql';

/**
 * Applies pending migrations: an explicit, logged boot step (and the `migrate` target), never
 * a side effect of module init. The service's schema is created first so the migrations
 * table can live inside it.
 */
export async function runMigrations(orm: MikroORM, logger: Pick<Logger, 'log'> = new Logger('Migrations')): Promise<string[]> {
  const schema = orm.config.get('schema');
  if (schema) await orm.em.getConnection().execute(`create schema if not exists "${schema}"`);
  const migrator = orm.getMigrator();
  const pending = await migrator.getPendingMigrations();
  if (pending.length === 0) {
    logger.log(`Database schema "${schema}" is up to date`);
    return [];
  }
  logger.log(`Applying ${pending.length} migration(s) to schema "${schema}": ${pending.map((m) => m.name).join(', ')}`);
  const applied = await migrator.up();
  logger.log(`Applied ${applied.length} migration(s)`);
  return applied.map((m) => m.name);
}
