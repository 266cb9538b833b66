import { resolve } from 'node:path';
import { Command, CommandContext } from '../cli/command';
import { BackupConfigError, checkCipherPass, parseRetention } from '../backup/backup-config';
import { checkService, ServiceCheck, SERVICES } from '../backup/drill';
import { ToolError } from '../backup/pgbackrest';
import { openSnapshot, restoreSnapshot, takeSnapshot } from '../backup/snapshot';
import { readSnapshotLedger, refreshSnapshotLedger } from '../backup/snapshot-ledger';
import { reapplyLedger } from '../backup/erasures';
import { describeReapply } from './backup-erasures';
import { megabytes } from './backup-units';

/** Snapshots are for the embedded database; a PostgreSQL server of your own gets pgBackRest. */
function embeddedDataDir(ctx: CommandContext): string {
  if (ctx.io.env['DATABASE_URL']) {
    throw new BackupConfigError(
      'DATABASE_URL is set: snapshots are for the embedded database; protect a PostgreSQL server with "backup setup" and "backup run" (pgBackRest)',
    );
  }
  return resolve(ctx.io.env['DATA_DIR'] ?? '.data');
}

export const snapshotCommands: readonly Command[] = [
  {
    name: 'snapshot',
    summary: 'Embedded mode: an encrypted, consistent snapshot of the embedded database into DATA_DIR/backups',
    description:
      'Works while the services run (PostgreSQL backup API). Encrypted with BACKUP_CIPHER_PASS (AES-256-GCM); snapshots older than BACKUP_RETENTION (30d) are removed. A snapshot is one moment, not point-in-time recovery; the key files in DATA_DIR are not in it — keep them too. Also refreshes the erasure ledger beside the snapshots (DATA_DIR/backups/erasures.ledger: ids and times of GDPR erasures, sealed), which restore-snapshot re-applies.',
    examples: ['BACKUP_CIPHER_PASS="$(cat ~/.keyhaven-backup-pass)" keyhaven-ops backup snapshot'],
    async run(_args, ctx) {
      const pass = checkCipherPass(ctx.io.env['BACKUP_CIPHER_PASS']);
      const retention = parseRetention(ctx.io.env['BACKUP_RETENTION']?.trim() || '30d');
      const dataDir = embeddedDataDir(ctx);
      const result = await takeSnapshot(dataDir, pass, retention, () => ctx.io.now());
      const ledger = await refreshSnapshotLedger(dataDir, pass, ctx.io.env, ctx.io.now());
      const erasureLedger = { entries: ledger.ledger.entries.length, added: ledger.added };
      ctx.out.result({ ...result, erasureLedger }, () =>
        [
          `Snapshot ${result.file} (${megabytes(result.bytes)}, encrypted) in ${result.seconds.toFixed(1)} s.`,
          ...result.pruned.map((name) => `Removed ${name} (older than ${retention} days).`),
          `Erasure ledger: ${erasureLedger.entries} erasures (${erasureLedger.added} new).`,
        ].join('\n'),
      );
    },
  },
  {
    name: 'restore-snapshot',
    summary: 'Embedded mode: put a snapshot in place of the embedded database (services stopped)',
    description:
      'The current database folder is moved aside (DATA_DIR/postgres.before-restore-<time>), never deleted. Before that, the erasures it holds are added to the erasure ledger; after it, the ledger is re-applied, so nobody erased since the snapshot comes back. Then both services check that their keys open the restored secrets; exit code 1 when they do not.',
    positionals: [{ name: 'file', description: 'a .khsnap file from "backup snapshot"', required: true }],
    examples: ['keyhaven-ops backup restore-snapshot .data/backups/keyhaven-2026-12-01T10-15-00-000Z.khsnap'],
    async run(args, ctx) {
      const pass = checkCipherPass(ctx.io.env['BACKUP_CIPHER_PASS']);
      const dataDir = embeddedDataDir(ctx);
      // The database about to be replaced knows the latest erasures: into the ledger with them
      // first. A database that cannot be read (the reason for a restore, sometimes) leaves the
      // ledger as the last snapshot wrote it — said, not hidden.
      let ledgerNote: string | undefined;
      const file = resolve(args.positionals[0]);
      // A wrong pass or a damaged file stops here, before anything runs or changes.
      await openSnapshot(file, pass);
      let ledger = await readSnapshotLedger(dataDir, pass);
      try {
        ledger = (await refreshSnapshotLedger(dataDir, pass, ctx.io.env, ctx.io.now())).ledger;
      } catch (error) {
        ledgerNote = `the current database could not be read for erasures (${error instanceof Error ? error.message : String(error)}); re-applying the ledger as of ${ledger.refreshedAt ?? 'never'}`;
      }
      const result = await restoreSnapshot(file, dataDir, pass, () => ctx.io.now());
      const erasures = await reapplyLedger(ledger, { embeddedDataDir: dataDir }, ctx.io.env);
      const checks: ServiceCheck[] = [];
      for (const service of SERVICES) checks.push(await checkService(service, undefined, dataDir, ctx.io.env));
      ctx.out.result({ ...result, erasures, ...(ledgerNote ? { ledgerNote } : {}), checks }, () =>
        [
          `Restored ${args.positionals[0]} into ${dataDir} in ${result.seconds.toFixed(1)} s${result.previous ? `; the database it replaced is in ${result.previous}` : ''}.`,
          ...(ledgerNote ? [`Note: ${ledgerNote}.`] : []),
          ...describeReapply(erasures),
          ...checks.map((check) => `${check.ok ? 'ok  ' : 'FAIL'} ${check.service}: ${check.line}`),
        ].join('\n'),
      );
      const failed = checks.filter((check) => !check.ok);
      if (failed.length > 0) throw new ToolError(`restored, but ${failed.map((check) => `${check.service}: ${check.line}`).join('; ')}`);
    },
  },
];
