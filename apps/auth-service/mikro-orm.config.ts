/**
 * For the MikroORM CLI only (`nx run auth-service:migration-create`): generates a migration
 * from the difference between the entities and the database at DATABASE_URL.
 */
import 'reflect-metadata';
import { createOrmConfig } from '@keyhaven/database';
import { AUTH_DATABASE } from './src/app/auth-database';

export default createOrmConfig({
  url: process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/keyhaven_migrations_auth',
  ...AUTH_DATABASE,
});
