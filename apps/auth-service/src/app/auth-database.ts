import type { DatabaseOptions } from '@keyhaven/database';
import { Account } from '../accounts/entities/account.entity';
import { AUTH_MIGRATIONS } from '../migrations';

/** auth-service owns the PostgreSQL schema `auth`: its tables, its migrations table. */
export const AUTH_DATABASE = {
  schema: 'auth',
  entities: [Account],
  migrations: AUTH_MIGRATIONS,
  migrationsPath: 'apps/auth-service/src/migrations',
} satisfies Omit<DatabaseOptions, 'url'>;
