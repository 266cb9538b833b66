import { readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ErasureLedger, mergeLedger, openLedger, sealLedger } from './erasure-ledger';
import { currentErasures } from './erasures';
import { SNAPSHOT_SUFFIX } from './snapshot';

/**
 * The erasure ledger of embedded mode: the same sealed ledger as in a pgBackRest repository
 * (ids and times only, AES-256-GCM under BACKUP_CIPHER_PASS), kept beside the snapshots in
 * `DATA_DIR/backups/`. `backup snapshot` refreshes it; `backup restore-snapshot` refreshes it
 * once more from the database it is about to replace, then re-applies it to the restored one — so
 * a snapshot from before an erasure does not bring the person back.
 */
export const SNAPSHOT_LEDGER_FILE = 'erasures.ledger';

export function snapshotLedgerPath(dataDir: string): string {
  return join(dataDir, 'backups', SNAPSHOT_LEDGER_FILE);
}

/** The ledger beside the snapshots; empty when there is none yet; a file that does not open is an error. */
export async function readSnapshotLedger(dataDir: string, pass: string): Promise<ErasureLedger> {
  let text: string;
  try {
    text = await readFile(snapshotLedgerPath(dataDir), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { refreshedAt: null, entries: [] };
    throw error;
  }
  return openLedger(text, pass);
}

/**
 * Adds the erasures the embedded database holds now (both services' own `erasures` command, in
 * embedded mode on `dataDir`) and writes the ledger back (a new file renamed over the old one).
 * Entries older than the oldest snapshot (less a day: a snapshot's file is written after its copy
 * began) are dropped: every snapshot there is already has them.
 */
export async function refreshSnapshotLedger(
  dataDir: string,
  pass: string,
  env: Record<string, string | undefined>,
  now: Date,
): Promise<{ ledger: ErasureLedger; added: number }> {
  const current = await readSnapshotLedger(dataDir, pass);
  const fresh = await currentErasures({ embeddedDataDir: dataDir }, env);
  const ledger = mergeLedger(current, fresh, now, await oldestSnapshot(dataDir));
  const path = snapshotLedgerPath(dataDir);
  await writeFile(`${path}.new`, await sealLedger(ledger, pass), { mode: 0o600 });
  await rename(`${path}.new`, path);
  const before = new Set(current.entries.map((entry) => `${entry.kind}:${entry.id}`));
  return { ledger, added: ledger.entries.filter((entry) => !before.has(`${entry.kind}:${entry.id}`)).length };
}

async function oldestSnapshot(dataDir: string): Promise<Date | undefined> {
  const dir = join(dataDir, 'backups');
  let oldest: Date | undefined;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!name.endsWith(SNAPSHOT_SUFFIX)) continue;
    const { mtime } = await stat(join(dir, name));
    if (!oldest || mtime < oldest) oldest = mtime;
  }
  return oldest && new Date(oldest.getTime() - 86_400_000);
}
