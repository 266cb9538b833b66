/* Jest globalSetup shared by every project that touches a database (see jest.preset.cjs). */
import { join } from 'node:path';
import { Client } from 'pg';
// Relative paths, not @keyhaven/database: jest loads its globalSetup outside the module sandbox,
// where neither the tsconfig aliases nor jest's moduleNameMapper apply.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { type EmbeddedPostgres, startEmbeddedPostgres } from '../../database/src/lib/embedded/shared-server';
import { EMBEDDED_TEST_URL } from './lib/embedded-test-url';

declare global {
  var __KEYHAVEN_EMBEDDED__: EmbeddedPostgres | undefined;
}

/**
 * Without TEST_DATABASE_URL the tests run on the embedded PostgreSQL, started here in jest's
 * parent process (before the workers fork) and handed to them as a server URL: test files then
 * clone a migrated template exactly as on a real server. Every jest process of one `npm test`
 * (one per project) joins the same server under `tmp/test-postgres` — the embedded start/join
 * protocol — and the last to finish stops it. Durability is off: it is a throwaway test server.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env['TEST_DATABASE_URL']) return;
  const embedded = await startEmbeddedPostgres({
    dataDir: join(__dirname, '../../../../tmp/test-postgres'),
    settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: '400' },
  });
  globalThis.__KEYHAVEN_EMBEDDED__ = embedded;
  if (embedded.started) await dropLeftoverDatabases(embedded.url);
  // Workers are forked after this runs and inherit the environment.
  process.env[EMBEDDED_TEST_URL] = embedded.url;
}

/** Per-file databases of a run that was killed before its files could drop them. */
async function dropLeftoverDatabases(url: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>("select datname from pg_database where datname like 'kh\\_test\\_%'");
    for (const { datname } of rows) await client.query(`drop database if exists "${datname}" with (force)`);
  } finally {
    await client.end();
  }
}
