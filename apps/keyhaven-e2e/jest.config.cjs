// End-to-end tests of the built services (dist/apps/*/main.js) run as real processes.
module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'keyhaven-e2e',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.e2e-spec.ts'],
  // Built services boot (initdb on a fresh data folder) while other projects test in parallel on 2 cores.
  testTimeout: 240_000,
  // Services run as processes in embedded mode with their own data folders (or on TEST_DATABASE_URL):
  // the shared embedded test server of the global setup is not needed.
  globalSetup: undefined,
  globalTeardown: undefined,
};
