import 'reflect-metadata';
import { bootService } from '@keyhaven/http';
import { loadReleaseConfig, RELEASE_SERVICE } from './config/release.config';
import { RELEASE_DATABASE } from './app/release-database';
import { createReleaseApp } from './app/create-app';
import { DemoLoader } from './demo/demo-loader';
import { KeyCustody } from './signing/key-custody';
import { MaintenanceJobs } from './maintenance/maintenance-jobs';
import { ErasedOperators } from './privacy/erased-operators';
import { SubscriptionsService } from './maintenance/subscriptions.service';

bootService({
  name: RELEASE_SERVICE,
  loadConfig: loadReleaseConfig,
  database: RELEASE_DATABASE,
  createApp: createReleaseApp,
  async afterMigrations(app, config) {
    // The sealing key must open what the database holds, or the boot stops here (one line).
    await app.get(KeyCustody).verify();
    // An explicit boot step after our migrations: pg-boss installs/migrates its schema
    // (release_jobs), creates the queues, and the notice workers start.
    await app.get(MaintenanceJobs).start();
    // GDPR: audit rows of ops accounts erased in auth-service get a pseudonym (its erasure feed).
    app.get(ErasedOperators).start();
    if (config.demoData) await app.get(DemoLoader).loadIfEmpty();
  },
  async checkKeys(app) {
    // `main.js check` (the restore drill): the boot's key check, then a sample of stored secrets opened.
    await app.get(KeyCustody).verify();
    return app.get(KeyCustody).openSample();
  },
  erasures: {
    kinds: ['subscription'],
    // `main.js erasures`: erased subscribers, ids and times only (keyhaven-ops keeps them in the backup erasure ledger).
    async list(app) {
      return (await app.get(SubscriptionsService).erasures()).map((e) => ({ kind: 'subscription' as const, id: e.id, erasedAt: e.erasedAt.toISOString() }));
    },
    // `main.js reapply-erasures` (after a restore): subscribers the restore brought back are erased again.
    reapply(app, records) {
      return app.get(SubscriptionsService).reapplyErasures(records.map((r) => r.id));
    },
  },
}).catch((error: unknown) => {
  process.stderr.write(`${RELEASE_SERVICE}: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
