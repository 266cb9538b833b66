import 'reflect-metadata';
import { bootService } from '@keyhaven/http';
import { AccountsService } from './accounts/accounts.service';
import { AUTH_SERVICE, loadAuthConfig } from './config/auth.config';
import { AUTH_DATABASE } from './app/auth-database';
import { createAuthApp } from './app/create-app';
import { KeyCustody } from './crypto/key-custody';
import { DirectoryJobs } from './directory/directory-jobs';
import { runReencrypt } from './crypto/reencrypt';
import { ErasureService } from './privacy/erasure.service';
import { PrivacyJobs } from './privacy/privacy-jobs';
import { runRetentionCommand } from './privacy/retention-command';

const command = process.argv[2];

/** Commands beside serving: `reencrypt` (after a key rotation), `retention` (the daily job, now). */
const COMMANDS: Record<string, (load: typeof loadAuthConfig, env: NodeJS.ProcessEnv) => Promise<void>> = {
  reencrypt: runReencrypt,
  retention: runRetentionCommand,
};

const oneOff = command === undefined ? undefined : COMMANDS[command];
const run = oneOff
  ? oneOff(loadAuthConfig, process.env)
  : bootService({
      name: AUTH_SERVICE,
      loadConfig: loadAuthConfig,
      database: AUTH_DATABASE,
      createApp: createAuthApp,
      async afterMigrations(app) {
        // The key ring must open what the database holds, or the boot stops here (one line).
        await app.get(KeyCustody).verify();
        // AUTH_BOOTSTRAP_*: the first admin, created once, after migrations and before traffic.
        await app.get(AccountsService).bootstrap();
        // pg-boss installs its schema (auth_jobs); the daily retention job and the deletion jobs start.
        await app.get(PrivacyJobs).start();
        // With LDAP_URL: the directory sync's queue (same schema), its schedule and worker.
        await app.get(DirectoryJobs).start();
      },
      async checkKeys(app) {
        // `main.js check` (the restore drill): the boot's key check, then a sample of stored secrets opened.
        await app.get(KeyCustody).verify();
        return app.get(KeyCustody).openSample();
      },
      erasures: {
        kinds: ['account'],
        // `main.js erasures`: the tombstones, ids and times only (keyhaven-ops keeps them in the backup erasure ledger).
        async list(app) {
          return (await app.get(ErasureService).ledger()).map((t) => ({
            kind: 'account' as const,
            id: t.accountId,
            erasedAt: t.erasedAt.toISOString(),
            requestedBy: t.requestedBy,
          }));
        },
        // `main.js reapply-erasures` (after a restore): the ledger's erasures again, with a tombstone that says so.
        reapply(app, records) {
          return app.get(ErasureService).reapply(
            // Staff or not is not in the ledger (ids and times only): reapply reads it from the account that came back.
            records.map((r) => ({
              accountId: r.id,
              erasedAt: new Date(r.erasedAt),
              requestedBy: r.requestedBy ?? 'admin',
              requesterId: null,
              reason: 'erasure re-applied after a restore from backup (erasure ledger)',
              operator: false,
            })),
          );
        },
      },
    });

run.catch((error: unknown) => {
  process.stderr.write(`${AUTH_SERVICE}: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
