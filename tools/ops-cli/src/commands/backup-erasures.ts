import { Command, CommandContext } from '../cli/command';
import { loadBackupConfig } from '../backup/backup-config';
import { ErasureLedger, readLedger } from '../backup/erasure-ledger';
import { keyhavenDatabase, reapplyLedger, ReapplyReport, refreshLedger } from '../backup/erasures';
import { clusterOwner, stanzaInfo } from '../backup/pgbackrest';

async function open(ctx: CommandContext) {
  const config = loadBackupConfig(ctx.io.env);
  return { config, owner: await clusterOwner(config.pgData) };
}

function describeLedger(ledger: ErasureLedger): string {
  if (ledger.refreshedAt === null) return 'No erasure ledger in the repository yet (the next "backup run" or "backup erasure-ledger --refresh" writes it).';
  const accounts = ledger.entries.filter((entry) => entry.kind === 'account').length;
  return `Erasure ledger as of ${ledger.refreshedAt}: ${ledger.entries.length} erasure(s) (${accounts} account(s), ${ledger.entries.length - accounts} subscriber(s))${ledger.entries.length > 0 ? `, newest ${ledger.entries[ledger.entries.length - 1]?.erasedAt}` : ''}.`;
}

/** The lines `restore` and `reapply-erasures` print: every id erased again. */
export function describeReapply(report: ReapplyReport): string[] {
  const erased = [...report.erased.accounts.map((id) => `account ${id}`), ...report.erased.subscriptions.map((id) => `subscriber ${id}`)];
  return [
    `Erasures re-applied from the ledger (${report.ledgerEntries} entries, as of ${report.ledgerRefreshedAt ?? 'never refreshed'}): ${erased.length} erased again${report.tombstonesRestored > 0 ? `, ${report.tombstonesRestored} erasure record(s) written back` : ''}.`,
    ...erased.map((what) => `  erased again: ${what}`),
  ];
}

/**
 * The erasure ledger (docs/backups.md, "Erasures survive a restore"): GDPR erasures kept in the
 * backup repository, outside the database, and applied again after a restore.
 */
export const erasureCommands: readonly Command[] = [
  {
    name: 'erasure-ledger',
    summary: 'Show the erasure ledger kept in the repository; --refresh adds the erasures the database records now',
    description:
      '"backup run" refreshes it after every backup. Refresh it also from cron between backups, and always before a point-in-time restore while the database still runs: an erasure made after the last refresh is not in it. --refresh needs DATABASE_URL and the services\' environment (it runs their "erasures" command).',
    options: { refresh: { type: 'boolean', description: "read both services' erasure records (DATABASE_URL) into the ledger first" } },
    examples: ['keyhaven-ops backup erasure-ledger --refresh     # e.g. every 15 minutes from cron'],
    async run(args, ctx) {
      const { config, owner } = await open(ctx);
      if (args.flag('refresh')) {
        const database = keyhavenDatabase(ctx.io.env, 'erasure-ledger --refresh');
        const { ledger, added, dropped } = await refreshLedger(config, owner, await stanzaInfo(config, owner), database.url, ctx.io.env, ctx.io.now());
        ctx.out.result({ ...ledger, added, dropped }, () => `${describeLedger(ledger)} Added ${added}, dropped ${dropped} (older than the oldest backup).`);
        return;
      }
      const ledger = await readLedger(config, owner);
      ctx.out.result(ledger, () => describeLedger(ledger));
    },
  },
  {
    name: 'reapply-erasures',
    summary: 'Apply the erasure ledger to the running database again (after a restore); idempotent, prints what it erased',
    description:
      '"backup restore" does this itself before PostgreSQL is opened to anyone. Run it by hand after restoring by other means (or when the restore could not). Needs DATABASE_URL and the services\' environment (it runs their "reapply-erasures" command).',
    examples: ['keyhaven-ops backup reapply-erasures'],
    async run(_args, ctx) {
      const database = keyhavenDatabase(ctx.io.env, 'reapply-erasures');
      const { config, owner } = await open(ctx);
      const report = await reapplyLedger(await readLedger(config, owner), database.url, ctx.io.env);
      ctx.out.result(report, () => describeReapply(report).join('\n'));
    },
  },
];
