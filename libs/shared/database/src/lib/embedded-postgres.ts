import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { startPgliteServer } from './pglite-server';

export interface EmbeddedPostgres {
  /** A `postgres://` URL the ordinary driver connects to. */
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Pooled connections the server takes turns for on the one PGlite session (default 32). */
  maxConnections?: number;
}

/**
 * Starts PostgreSQL compiled to WebAssembly (PGlite) on a loopback port, with its data kept
 * in `dataDir`. Services then use the same `pg` driver, SQL and migrations as against a real
 * server — embedded mode is a different server, not a different code path.
 *
 * PGlite is single-process: a lock file stops a second process from opening the same
 * directory (which would corrupt it).
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const dataDir = resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true });
  const lockFile = resolve(dataDir, '..', `${dataDir.split('/').pop()}.lock`);
  await acquireLock(lockFile, dataDir);

  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create(dataDir);
  const server = await startPgliteServer({ db, host: options.host, port: options.port, maxConnections: options.maxConnections });
  return {
    url: server.url,
    dataDir,
    async stop() {
      await server.stop();
      await db.close();
      await rm(lockFile, { force: true });
    },
  };
}

async function acquireLock(lockFile: string, dataDir: string): Promise<void> {
  try {
    const holder = Number((await readFile(lockFile, 'utf8')).trim());
    if (holder && holder !== process.pid && isAlive(holder)) {
      throw new Error(
        `The embedded database in ${dataDir} is already open in process ${holder}; stop it first or set DATA_DIR to another folder.`,
      );
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await writeFile(lockFile, `${process.pid}\n`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
