export * from './lib/embedded-postgres';
export * from './lib/pglite-server';
export * from './lib/orm-config';
export * from './lib/migrations';
export * from './lib/database-readiness';
export * from './lib/database.module';
