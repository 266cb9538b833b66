import 'reflect-metadata';
import { bootService } from '@keyhaven/http';
import { loadReleaseConfig, RELEASE_SERVICE } from './config/release.config';
import { RELEASE_DATABASE } from './app/release-database';
import { createReleaseApp } from './app/create-app';
import { DemoLoader } from './demo/demo-loader';

bootService({
  name: RELEASE_SERVICE,
  loadConfig: loadReleaseConfig,
  database: RELEASE_DATABASE,
  createApp: createReleaseApp,
  async afterMigrations(app, config) {
    if (config.demoData) await app.get(DemoLoader).loadIfEmpty();
  },
}).catch((error: unknown) => {
  process.stderr.write(`${RELEASE_SERVICE}: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
