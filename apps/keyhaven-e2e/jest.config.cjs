// End-to-end tests of the built services (dist/apps/*/main.js) run as real processes.
module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'keyhaven-e2e',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.e2e-spec.ts'],
  // Built services boot (PGlite: seconds each) while other projects test in parallel on 2 cores.
  testTimeout: 240_000,
  // Services run as processes with their own databases: no PGlite control server needed.
  globalSetup: undefined,
  globalTeardown: undefined,
};
