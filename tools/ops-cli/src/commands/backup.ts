import { UsageError } from '../cli/cli-error';
import { CommandContext, CommandGroup } from '../cli/command';
import { Column, formatTable } from '../cli/table';
import { BackupConfig, loadBackupConfig } from '../backup/backup-config';
import { entries, literal, ownedFolder, psql, runningPostmaster } from '../backup/cluster';
import { runDrill } from '../backup/drill';
import {
  archiveCommand,
  BackupSet,
  clusterOwner,
  newestArchivedAt,
  pgbackrest,
  renderPgbackrestConfig,
  restorableRange,
  stanzaInfo,
  targetTime,
  ToolError,
  writeOwnerFile,
} from '../backup/pgbackrest';
import { readLedger } from '../backup/erasure-ledger';
import { keyhavenDatabase, reapplyAfterRestore, ReapplyReport, refreshLedger } from '../backup/erasures';
import { describeReapply, erasureCommands } from './backup-erasures';
import { snapshotCommands } from './backup-snapshot';
import { megabytes } from './backup-units';

/** archive_timeout: a quiet database still sends its newest WAL at least this often (the RPO bound). */
export const ARCHIVE_TIMEOUT = '60s';

const BACKUP_COLUMNS: readonly Column<BackupSet>[] = [
  { header: 'Label', value: (backup) => backup.label },
  { header: 'Type', value: (backup) => backup.type },
  { header: 'Started', value: (backup) => backup.startedAt.toISOString() },
  { header: 'Finished', value: (backup) => backup.finishedAt.toISOString() },
  { header: 'Size', value: (backup) => megabytes(backup.size), align: 'right' },
  { header: 'In repository', value: (backup) => megabytes(backup.repositorySize), align: 'right' },
];

async function open(ctx: CommandContext) {
  const config = loadBackupConfig(ctx.io.env);
  return { config, owner: await clusterOwner(config.pgData) };
}

export const backupCommands: CommandGroup = {
  name: 'backup',
  summary: 'Encrypted point-in-time backups of PostgreSQL with pgBackRest; restores and restore drills',
  commands: [
    {
      name: 'setup',
      summary: 'Write the pgBackRest configuration and PostgreSQL archive settings, create the stanza',
      description:
        'Reads BACKUP_REPO, BACKUP_CIPHER_PASS, BACKUP_RETENTION, BACKUP_PG_DATA, BACKUP_PG_PORT (and BACKUP_S3_* for s3://). Run as root or as the cluster owner. Safe to run again. Says whether PostgreSQL must be restarted.',
      examples: [
        'BACKUP_REPO=/var/backups/keyhaven BACKUP_CIPHER_PASS="$(cat /root/backup-pass)" BACKUP_PG_DATA=/var/lib/postgresql/15/main keyhaven-ops backup setup',
      ],
      async run(_args, ctx) {
        const { config, owner } = await open(ctx);
        await writeOwnerFile(config.configFile, renderPgbackrestConfig(config), owner);
        if (config.repository.kind === 'posix') await ownedFolder(config.repository.path, owner, 0o750);

        const settings = new Map(
          (
            await psql(
              config,
              owner,
              `select name || '=' || setting from pg_settings where name in ('archive_mode', 'wal_level', 'archive_command', 'archive_timeout')`,
            )
          ).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const),
        );
        const restartFor: string[] = [];
        const statements = [
          `alter system set archive_command = ${literal(archiveCommand(config))}`,
          `alter system set archive_timeout = ${literal(ARCHIVE_TIMEOUT)}`,
        ];
        if (settings.get('archive_mode') !== 'on' && settings.get('archive_mode') !== 'always') {
          statements.push(`alter system set archive_mode = 'on'`);
          restartFor.push('archive_mode');
        }
        // `logical` already archives everything `replica` does: never lower it.
        if (settings.get('wal_level') === 'minimal') {
          statements.push(`alter system set wal_level = 'replica'`);
          restartFor.push('wal_level');
        }
        for (const statement of statements) await psql(config, owner, statement);
        await psql(config, owner, 'select pg_reload_conf()');
        await pgbackrest(config, owner, 'stanza-create');
        if (restartFor.length === 0) await pgbackrest(config, owner, 'check');

        const result = {
          configFile: config.configFile,
          stanza: config.stanza,
          restartRequired: restartFor.length > 0,
          restartFor,
          archiveTimeout: ARCHIVE_TIMEOUT,
        };
        ctx.out.result(result, () =>
          [
            `Wrote ${config.configFile} (stanza ${config.stanza}, repository ${describeRepository(config)}, aes-256-cbc, full backups kept ${config.retentionDays} days).`,
            `PostgreSQL: archive_command set, archive_timeout ${ARCHIVE_TIMEOUT}${restartFor.length > 0 ? `, ${restartFor.join(' and ')} changed` : ''}; stanza created.`,
            restartFor.length > 0
              ? `PostgreSQL must be restarted for ${restartFor.join(' and ')} (e.g. pg_ctlcluster <version> <cluster> restart), then run: keyhaven-ops backup run --full`
              : 'No restart needed; archiving works (pgbackrest check passed). Next: keyhaven-ops backup run --full',
          ].join('\n'),
        );
      },
    },
    {
      name: 'run',
      summary: 'Take a backup: differential by default (full when there is none yet), --full for a full one; then refresh the erasure ledger',
      description:
        "After the backup, both services' erasure records are added to the erasure ledger in the repository (needs DATABASE_URL and the services' environment, as the drill does). Exit 1 when the backup worked but the ledger could not be refreshed.",
      options: { full: { type: 'boolean', description: 'a full backup (weekly, and after every restore)' } },
      examples: ['keyhaven-ops backup run --full', 'keyhaven-ops backup run      # differential, e.g. daily from cron'],
      async run(args, ctx) {
        const database = keyhavenDatabase(ctx.io.env, 'run');
        const { config, owner } = await open(ctx);
        const started = Date.now();
        await pgbackrest(config, owner, 'backup', [`--type=${args.flag('full') ? 'full' : 'diff'}`]);
        const seconds = (Date.now() - started) / 1000;
        const info = await stanzaInfo(config, owner);
        const backup = info.backups.at(-1);
        if (!backup) throw new ToolError('pgbackrest reported success but the repository lists no backup');
        const done = `Backup ${backup.label} (${backup.type}) done in ${seconds.toFixed(1)} s: ${megabytes(backup.size)} of data, ${megabytes(backup.repositorySize)} in the repository.`;
        // After the backup: its expiry decides which ledger entries no restorable state needs any more.
        const refreshed = await refreshLedger(config, owner, info, database.url, ctx.io.env, ctx.io.now()).catch((error: unknown) => {
          throw new ToolError(`${done} But the erasure ledger was not refreshed: ${error instanceof Error ? error.message : String(error)}`);
        });
        ctx.out.result(
          { ...backup, seconds, erasureLedger: { entries: refreshed.ledger.entries.length, refreshedAt: refreshed.ledger.refreshedAt } },
          `${done}\nErasure ledger refreshed: ${refreshed.ledger.entries.length} erasure(s).`,
        );
      },
    },
    {
      name: 'list',
      summary: 'Show the backups and the window a point-in-time restore can reach',
      async run(_args, ctx) {
        const { config, owner } = await open(ctx);
        const info = await stanzaInfo(config, owner);
        const range = restorableRange(info, await newestArchivedAt(config, owner, info));
        const json = {
          stanza: config.stanza,
          cipher: info.cipher,
          backups: info.backups,
          restorable: range ? { from: range.from.toISOString(), to: range.to.toISOString() } : null,
        };
        ctx.out.result(json, () =>
          info.backups.length === 0
            ? 'No backups yet: run "keyhaven-ops backup run --full".'
            : `${formatTable(BACKUP_COLUMNS, info.backups)}Restorable: any moment from ${range?.from.toISOString()} to ${range?.to.toISOString()} (repository cipher: ${info.cipher}).`,
        );
      },
    },
    {
      name: 'restore',
      summary: 'Restore to a moment (--to) or to the newest state (--latest), into BACKUP_PG_DATA or --target DIR',
      description:
        'Into BACKUP_PG_DATA the cluster must be stopped, and --force is needed when the folder holds data (it is overwritten). Into --target DIR archiving stays off in the copy. Afterwards start PostgreSQL (recovery runs to the moment and promotes), check, and take a new full backup.',
      options: {
        to: { type: 'string', valueName: 'instant', description: 'ISO 8601 date-time with an offset, e.g. 2026-12-01T10:15:00Z' },
        latest: { type: 'boolean', description: 'replay every archived change (the newest restorable state)' },
        target: { type: 'string', valueName: 'dir', description: 'restore into this folder instead of BACKUP_PG_DATA' },
        force: { type: 'boolean', description: 'overwrite a folder that holds data' },
      },
      examples: ['keyhaven-ops backup restore --to 2026-12-01T10:15:00Z --force', 'keyhaven-ops backup restore --latest --target /srv/restore-check'],
      async run(args, ctx) {
        const to = args.string('to');
        if ((to === undefined) === !args.flag('latest')) throw new UsageError('Give exactly one of --to <instant> or --latest', 'backup restore');
        const at = to === undefined ? undefined : instant(to);
        const { config, owner } = await open(ctx);
        const targetDir = args.string('target');
        if (targetDir !== undefined && !targetDir.startsWith('/')) throw new UsageError('--target: expected an absolute folder', 'backup restore');
        const dest = targetDir ?? config.pgData;

        const info = await stanzaInfo(config, owner);
        const range = restorableRange(info, await newestArchivedAt(config, owner, info));
        if (!range) throw new ToolError('the repository has no backup to restore');
        if (at && (at < range.from || at > range.to)) {
          throw new ToolError(
            `${at.toISOString()} is outside the restorable range: from ${range.from.toISOString()} to ${range.to.toISOString()} (nothing was changed)`,
          );
        }

        const running = await runningPostmaster(dest);
        if (running !== undefined) throw new ToolError(`PostgreSQL (pid ${running}) is running on ${dest}: stop it first (and the services), then restore`);
        const existing = await entries(dest);
        if (existing.length > 0 && !args.flag('force'))
          throw new ToolError(`${dest} is not empty: add --force to overwrite it (its files are replaced by the backup's)`);
        // Read before anything is touched: a ledger that does not open stops the restore here.
        const database = keyhavenDatabase(ctx.io.env, 'restore');
        const ledger = await readLedger(config, owner);

        await ownedFolder(dest, owner);
        // PostgreSQL runs the restore_command (archive-get) without our environment: it reads this file.
        await writeOwnerFile(config.configFile, renderPgbackrestConfig(config), owner);
        // Along the newest timeline: after an earlier restore, the moments since then live on its branch.
        const options = [...(at ? ['--type=time', `--target=${targetTime(at)}`, '--target-action=promote'] : []), '--target-timeline=latest'];
        if (existing.length > 0) options.push(existing.includes('PG_VERSION') ? '--delta' : '--force');
        // A copy elsewhere must not archive its new timeline into the real repository.
        if (targetDir !== undefined) options.push(`--pg1-path=${targetDir}`, '--archive-mode=off');
        const started = Date.now();
        await pgbackrest(config, owner, 'restore', options, [], config.configFile);
        // Before anyone can connect: recovery to the moment, then every erasure of the ledger again.
        let erasures: ReapplyReport;
        try {
          erasures = await reapplyAfterRestore(owner, dest, database.database, ledger, ctx.io.env);
        } catch (error) {
          throw new ToolError(
            `${dest} was restored, but the erasure ledger was not re-applied (${error instanceof Error ? error.message : String(error)}): start PostgreSQL and run "keyhaven-ops backup reapply-erasures" BEFORE starting the services`,
          );
        }
        const seconds = (Date.now() - started) / 1000;
        const result = {
          restoredTo: at?.toISOString() ?? 'latest',
          dataDir: dest,
          seconds,
          range: { from: range.from.toISOString(), to: range.to.toISOString() },
          erasures,
        };
        ctx.out.result(result, () =>
          [
            `Restored ${dest} in ${seconds.toFixed(1)} s, to ${at ? at.toISOString() : 'the newest archived state'} (recovered and promoted).`,
            ...describeReapply(erasures),
            'Next: start PostgreSQL, check it, start the services,',
            targetDir === undefined ? 'then take a new full backup: keyhaven-ops backup run --full' : `and remove ${dest} when done.`,
          ].join('\n'),
        );
      },
    },
    {
      name: 'drill',
      summary: 'Restore the newest backup into a scratch copy and prove the data and the keys come back',
      description:
        "Needs DATABASE_URL (which database holds Keyhaven) and the services' keys (AUTH_ENCRYPTION_KEYS, RELEASE_KEY_ENCRYPTION_KEY). Restores into a temporary folder with archiving off, starts PostgreSQL there on a free port, runs both services' check (migrations, keys open sampled secrets), counts every table, prints restore time and RPO, removes everything. Exit code 1 on any failure.",
      examples: ['keyhaven-ops backup drill || alert "Keyhaven restore drill failed"'],
      async run(_args, ctx) {
        const { config, owner } = await open(ctx);
        const info = await stanzaInfo(config, owner);
        const report = await runDrill(config, owner, info, ctx.io.env, () => ctx.io.now());
        ctx.out.result(report, () =>
          [
            `Drill of backup ${report.backup}: restored and promoted in ${report.restoreSeconds.toFixed(1)} s; newest moment ${report.newestMoment} (RPO now ${report.rpoSeconds} s).`,
            ...report.checks.map((check) => `${check.ok ? 'ok  ' : 'FAIL'} ${check.service}: ${check.line}`),
            ...report.tables.map((table) => `     ${table.table}: ${table.rows} rows`),
            report.ok ? 'Drill passed.' : `Drill FAILED: ${report.failures.join('; ')}`,
          ].join('\n'),
        );
        if (!report.ok) throw new ToolError(`restore drill failed: ${report.failures.join('; ')}`);
      },
    },
    ...erasureCommands,
    ...snapshotCommands,
  ],
};

function describeRepository(config: BackupConfig): string {
  const repo = config.repository;
  return repo.kind === 'posix' ? repo.path : `s3://${repo.bucket}${repo.prefix} at ${repo.endpoint}${repo.port ? `:${repo.port}` : ''}`;
}

function instant(text: string): Date {
  // An offset is required: a restore target in the operator's guessed time zone could be hours off.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})$/i.test(text) || Number.isNaN(Date.parse(text))) {
    throw new UsageError(`--to: expected an ISO 8601 date-time with an offset (2026-12-01T10:15:00Z), got "${text}"`, 'backup restore');
  }
  const parsed = new Date(text);
  // Date.parse rolls 2026-02-30 over to March: compare the calendar date back.
  const [, year, month, day] = /^(\d{4})-(\d{2})-(\d{2})/.exec(text) ?? [];
  const local = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  if (local.getUTCMonth() !== Number(month) - 1 || local.getUTCDate() !== Number(day)) throw new UsageError(`--to: no such date: "${text}"`, 'backup restore');
  return parsed;
}
