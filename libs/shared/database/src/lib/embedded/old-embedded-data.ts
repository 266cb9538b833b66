import { access } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/**
 * Keyhaven used to run PGlite (PostgreSQL 18 compiled to WebAssembly) in-process and kept its
 * files in `DATA_DIR` itself (by default `.data/<service>`). Those files are a PostgreSQL 18
 * data directory of a 32-bit build: the embedded PostgreSQL 17 server cannot open them, and
 * nothing may delete them silently. Returns the folder when it is there.
 */
export async function findOldEmbeddedData(dataDir: string, service: string): Promise<string | undefined> {
  for (const dir of [join(resolve(dataDir), service), resolve(dataDir)]) {
    const found = await access(join(dir, 'PG_VERSION')).then(
      () => true,
      () => false,
    );
    if (found) return dir;
  }
  return undefined;
}

export function oldEmbeddedDataMessage(dir: string): string {
  return (
    `${dir} holds data of the earlier embedded database (PGlite), which this version no longer runs; nothing was changed. ` +
    `Move it into the embedded PostgreSQL with "npm run move-pglite-data" (same DATA_DIR; see README, "Data of the earlier embedded database"), ` +
    `or move the folder away to start with an empty database.`
  );
}
