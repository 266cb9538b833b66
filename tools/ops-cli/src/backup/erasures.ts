import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackupConfig } from './backup-config';
import { majorVersion, ownedFolder, serverBinDir } from './cluster';
import { databaseTarget, runService, Service, SERVICES } from './drill';
import { checkEntry, ErasureEntry, ErasureLedger, mergeLedger, readLedger, writeLedger } from './erasure-ledger';
import { ClusterOwner, StanzaInfo, ToolError } from './pgbackrest';
import { startScratchServer } from './scratch-server';

/** What re-applying the ledger did: the ids erased again (the people a restore had brought back), per kind. */
export interface ReapplyReport {
  ledgerEntries: number;
  ledgerRefreshedAt: string | null;
  erased: { accounts: string[]; subscriptions: string[] };
  tombstonesRestored: number;
}

/** DATABASE_URL, checked: the erasure commands run the services' own commands against that database. */
export function keyhavenDatabase(env: Record<string, string | undefined>, command: string): { url: string; database: string } {
  const { database } = databaseTarget(
    env['DATABASE_URL'],
    `"backup ${command}" needs the Keyhaven database (the erasure ledger is read from it and re-applied to it)`,
  );
  return { url: env['DATABASE_URL'] ?? '', database };
}

/**
 * Where the services' commands run: against a database (a throwaway DATA_DIR, DATABASE_URL set),
 * or in embedded mode on a data folder (they start or join its embedded PostgreSQL, with the key
 * files kept there).
 */
export type ServiceTarget = { databaseUrl: string } | { embeddedDataDir: string };

/** Runs `main.js <argv>` of a service; its one JSON line, or a ToolError with its own last words. */
async function serviceJson(
  service: Service,
  argv: string[],
  target: ServiceTarget,
  env: Record<string, string | undefined>,
  input = '',
): Promise<Record<string, unknown>> {
  const embedded = 'embeddedDataDir' in target;
  const dataDir = embedded ? target.embeddedDataDir : await mkdtemp(join(tmpdir(), 'keyhaven-erasures-'));
  try {
    const ran = await runService(service, argv, embedded ? undefined : target.databaseUrl, dataDir, env, input);
    const line = ran.stdout.split('\n').find((text) => text.startsWith(`{"service":`));
    if (ran.error || !line) {
      // The service's own words, not its stack trace.
      const words = `${ran.stderr}\n${ran.stdout}`
        .split('\n')
        .filter((text) => text.trim() !== '' && !/^\s+at /.test(text))
        .slice(-3)
        .join(' | ');
      throw new ToolError(`${service} ${argv[0]} failed: ${words || ran.error?.message || 'no answer'}`);
    }
    return JSON.parse(line) as Record<string, unknown>;
  } finally {
    if (!embedded) await rm(dataDir, { recursive: true, force: true });
  }
}

/** Both services' erasure records as they are in the database now (ids and times only). */
export async function currentErasures(target: string | ServiceTarget, env: Record<string, string | undefined>): Promise<ErasureEntry[]> {
  const all: ErasureEntry[] = [];
  for (const service of SERVICES) {
    const answer = await serviceJson(service, ['erasures'], typeof target === 'string' ? { databaseUrl: target } : target, env);
    if (!Array.isArray(answer['erasures'])) throw new ToolError(`${service} erasures: no list in its answer`);
    all.push(...answer['erasures'].map(checkEntry));
  }
  return all;
}

/**
 * The ledger refreshed from the live database and written back to the repository; entries older
 * than the oldest backup are dropped (every restorable state has them already).
 */
export async function refreshLedger(
  config: BackupConfig,
  owner: ClusterOwner,
  info: StanzaInfo,
  databaseUrl: string,
  env: Record<string, string | undefined>,
  now: Date,
): Promise<{ ledger: ErasureLedger; added: number; dropped: number }> {
  const current = await readLedger(config, owner);
  const fresh = await currentErasures(databaseUrl, env);
  const ledger = mergeLedger(current, fresh, now, info.backups[0]?.startedAt);
  await writeLedger(config, owner, ledger);
  const before = new Set(current.entries.map((entry) => `${entry.kind}:${entry.id}`));
  const after = new Set(ledger.entries.map((entry) => `${entry.kind}:${entry.id}`));
  return { ledger, added: [...after].filter((key) => !before.has(key)).length, dropped: [...before].filter((key) => !after.has(key)).length };
}

/** Hands the ledger to both services' `reapply-erasures` against `databaseUrl`. Idempotent. */
export async function reapplyLedger(ledger: ErasureLedger, target: string | ServiceTarget, env: Record<string, string | undefined>): Promise<ReapplyReport> {
  const report: ReapplyReport = {
    ledgerEntries: ledger.entries.length,
    ledgerRefreshedAt: ledger.refreshedAt,
    erased: { accounts: [], subscriptions: [] },
    tombstonesRestored: 0,
  };
  const input = JSON.stringify({ erasures: ledger.entries });
  for (const service of SERVICES) {
    const answer = (await serviceJson(service, ['reapply-erasures'], typeof target === 'string' ? { databaseUrl: target } : target, env, input)) as {
      erased?: unknown;
      tombstonesRestored?: unknown;
    };
    const erased = Array.isArray(answer.erased) ? answer.erased.filter((id): id is string => typeof id === 'string') : [];
    report.erased[service === 'auth-service' ? 'accounts' : 'subscriptions'].push(...erased);
    report.tombstonesRestored += typeof answer.tombstonesRestored === 'number' ? answer.tombstonesRestored : 0;
  }
  return report;
}

/**
 * Right after pgBackRest restored `dataDir`: PostgreSQL is started privately on it — a socket in
 * a folder only the owner and root can enter, no TCP, so no service can connect — recovery runs
 * to the target and promotes, the ledger is re-applied as the cluster's owner, and it is shut
 * down cleanly. When the operator starts the cluster, the erased people are already gone again.
 */
export async function reapplyAfterRestore(
  owner: ClusterOwner,
  dataDir: string,
  database: string,
  ledger: ErasureLedger,
  env: Record<string, string | undefined>,
): Promise<ReapplyReport> {
  const workDir = await mkdtemp(join(env['BACKUP_DRILL_DIR'] ?? tmpdir(), 'keyhaven-restore-'));
  await ownedFolder(workDir, owner);
  const server = await startScratchServer({
    dataDir,
    workDir,
    binDir: serverBinDir(env, await majorVersion(dataDir)),
    owner,
    timeoutMs: 600_000,
    restoredInPlace: true,
  }).catch(async (error: unknown) => {
    await rm(workDir, { recursive: true, force: true });
    throw error;
  });
  try {
    const url = `postgresql://${encodeURIComponent(owner.name)}@${encodeURIComponent(server.socketDir)}:${server.port}/${encodeURIComponent(database)}`;
    return await reapplyLedger(ledger, url, env);
  } finally {
    await server.stop('fast');
    await rm(workDir, { recursive: true, force: true });
  }
}
