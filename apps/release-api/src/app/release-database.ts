import type { DatabaseOptions } from '@keyhaven/database';
import { Release } from '../releases/entities/release.entity';
import { RELEASE_MIGRATIONS } from '../migrations';

/** release-api owns the PostgreSQL schema `release`: its tables, its migrations table. */
export const RELEASE_DATABASE = {
  schema: 'release',
  entities: [Release],
  migrations: RELEASE_MIGRATIONS,
  migrationsPath: 'apps/release-api/src/migrations',
} satisfies Omit<DatabaseOptions, 'url'>;
