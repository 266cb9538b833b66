import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';

export interface FreshStore {
  /** Env vars that point a service at it: DATABASE_URL on real PostgreSQL, else DATA_DIR. */
  env: Record<string, string>;
  describe: string;
  remove(): Promise<void>;
}

/**
 * An empty store for one service process: a new database on the real PostgreSQL server when
 * TEST_DATABASE_URL is set, else a new folder for the embedded one. Nothing is migrated: the
 * service under test must do that itself.
 */
export async function freshStore(): Promise<FreshStore> {
  const server = process.env['TEST_DATABASE_URL'];
  if (server) {
    const name = `kh_e2e_${randomBytes(6).toString('hex')}`;
    const admin = new Client({ connectionString: server });
    await admin.connect();
    await admin.query(`create database "${name}"`);
    await admin.end();
    const url = new URL(server);
    url.pathname = `/${name}`;
    return {
      env: { DATABASE_URL: url.toString() },
      describe: 'a fresh database on the real PostgreSQL server',
      async remove() {
        const client = new Client({ connectionString: server });
        await client.connect();
        await client.query(`drop database if exists "${name}" with (force)`);
        await client.end();
      },
    };
  }
  const dir = await mkdtemp(join(tmpdir(), 'keyhaven-e2e-'));
  // As root the embedded PostgreSQL runs as `postgres`, which must pass through this folder.
  await chmod(dir, 0o755);
  return {
    env: { DATA_DIR: join(dir, 'data') },
    describe: 'a fresh embedded PostgreSQL data folder',
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
