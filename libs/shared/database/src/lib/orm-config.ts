import { Logger } from '@nestjs/common';
import { ReflectMetadataProvider } from '@mikro-orm/core';
import { Migration, Migrator } from '@mikro-orm/migrations';
import { defineConfig, Options } from '@mikro-orm/postgresql';
import { redactDatabaseText } from './redact';

export interface NamedMigration {
  name: string;
  class: new (...args: ConstructorParameters<typeof Migration>) => Migration;
}

export interface DatabaseOptions {
  url: string;
  /** The PostgreSQL schema the service owns, so two services can share one database safely. */
  schema: string;
  entities: Options['entities'];
  /** Listed explicitly: globbing and ts-morph discovery do not survive a bundle. */
  migrations: readonly NamedMigration[];
  /** Where `migration:create` writes new files (CLI only). */
  migrationsPath?: string;
  poolMax?: number;
  debug?: boolean;
  /** Silence MikroORM's own messages (test helpers, tools). */
  quiet?: boolean;
}

const ormLogger = new Logger('MikroORM');

export function createOrmConfig(options: DatabaseOptions): Options {
  return defineConfig({
    clientUrl: options.url,
    schema: options.schema,
    entities: options.entities,
    metadataProvider: ReflectMetadataProvider,
    extensions: [Migrator],
    discovery: { warnWhenNoEntities: false },
    // Connections are kept for a while once opened: a new one costs a backend process and a
    // SCRAM exchange (4,096 PBKDF2 rounds on each side), milliseconds that a sign-in burst would
    // otherwise pay again after every quiet half-minute. At most `max` are held, none at boot.
    pool: { min: 0, max: options.poolMax ?? 10, idleTimeoutMillis: 10 * 60_000 },
    debug: options.debug ?? false,
    colors: false,
    // With `debug` on, MikroORM logs statements with their parameters inlined: redact them.
    logger: options.quiet ? () => undefined : (message: string) => ormLogger.log(redactDatabaseText(message)),
    allowGlobalContext: false,
    forceUtcTimezone: true,
    migrations: {
      tableName: `${options.schema}.mikro_orm_migrations`,
      migrationsList: options.migrations.map((m) => ({ name: m.name, class: m.class })),
      path: options.migrationsPath,
      pathTs: options.migrationsPath,
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      emit: 'ts',
    },
  });
}
