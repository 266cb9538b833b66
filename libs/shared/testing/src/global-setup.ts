/* Jest globalSetup shared by every project that touches a database (see jest.preset.cjs). */
import { startPgliteControl } from './lib/pglite-control';

declare global {
  var __KEYHAVEN_PGLITE__: { close(): Promise<void> } | undefined;
}

export default async function globalSetup(): Promise<void> {
  if (process.env['TEST_DATABASE_URL']) return; // real PostgreSQL: test files clone templates there
  const control = await startPgliteControl();
  globalThis.__KEYHAVEN_PGLITE__ = control;
  // Workers are forked after this runs and inherit the environment.
  process.env['KEYHAVEN_PGLITE_CONTROL'] = control.url;
}
