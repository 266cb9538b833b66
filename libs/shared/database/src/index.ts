export * from './lib/embedded/shared-server';
export * from './lib/embedded/old-embedded-data';
export * from './lib/orm-config';
export * from './lib/migrations';
export * from './lib/database-readiness';
export * from './lib/database.module';
export * from './lib/redact';
