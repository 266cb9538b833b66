import { createHash, randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { MikroORM } from '@mikro-orm/postgresql';
import { createOrmConfig, DatabaseOptions, runMigrations } from '@keyhaven/database';
import { EMBEDDED_TEST_URL } from './embedded-test-url';

export interface TestDatabase {
  url: string;
  /** Where it runs: `postgres` (the server of TEST_DATABASE_URL) or `embedded` (the jest global setup's). */
  engine: 'postgres' | 'embedded';
  drop(): Promise<void>;
}

type MigratedSchema = Pick<DatabaseOptions, 'schema' | 'entities' | 'migrations'>;

const quiet = { log: () => undefined };

/**
 * A fresh, migrated database for one test file: `CREATE DATABASE … TEMPLATE` of a template
 * migrated once per migration set, on the server of TEST_DATABASE_URL or else on the embedded
 * PostgreSQL that the jest global setup started. One code path either way; files are isolated
 * and may run in parallel.
 */
export async function createTestDatabase(schema: MigratedSchema): Promise<TestDatabase> {
  const key = templateKey(schema);
  const realUrl = process.env['TEST_DATABASE_URL'];
  if (realUrl) return createOnPostgres(realUrl, key, schema, 'postgres');
  const embeddedUrl = process.env[EMBEDDED_TEST_URL];
  if (!embeddedUrl) {
    throw new Error('No test database: set TEST_DATABASE_URL or run under the jest preset (its globalSetup starts the embedded PostgreSQL).');
  }
  return createOnPostgres(embeddedUrl, key, schema, 'embedded');
}

/** Changes whenever a migration is added or its SQL changes, so stale templates are never reused. */
function templateKey(schema: MigratedSchema): string {
  const hash = createHash('sha256');
  hash.update(schema.schema);
  for (const migration of schema.migrations) {
    hash.update(migration.name);
    hash.update(String(migration.class.prototype.up));
    hash.update(String(migration.class.prototype.down));
  }
  return `${schema.schema}_${hash.digest('hex').slice(0, 12)}`;
}

async function migrate(url: string, schema: MigratedSchema): Promise<void> {
  const orm = await MikroORM.init(createOrmConfig({ url, ...schema, poolMax: 2, quiet: true }));
  try {
    await runMigrations(orm, quiet);
  } finally {
    await orm.close(true);
  }
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function createOnPostgres(serverUrl: string, key: string, schema: MigratedSchema, engine: TestDatabase['engine']): Promise<TestDatabase> {
  const template = `kh_tpl_${key}`;
  const name = `kh_test_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    // One builder per template across parallel workers; the others wait on the lock.
    await admin.query('select pg_advisory_lock(hashtext($1))', [template]);
    try {
      const found = await admin.query<{ datistemplate: boolean }>('select datistemplate from pg_database where datname = $1', [template]);
      if (!found.rows[0]?.datistemplate) {
        // Absent, or half-built by a run that crashed: rebuild it.
        await admin.query(`drop database if exists "${template}"`);
        await admin.query(`create database "${template}"`);
        await migrate(withDatabase(serverUrl, template), schema);
        await admin.query(`alter database "${template}" is_template true`);
      }
    } finally {
      await admin.query('select pg_advisory_unlock(hashtext($1))', [template]);
    }
    await admin.query(`create database "${name}" template "${template}"`);
  } finally {
    await admin.end();
  }
  return {
    url: withDatabase(serverUrl, name),
    engine,
    async drop() {
      const client = new Client({ connectionString: serverUrl });
      await client.connect();
      try {
        await client.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}
