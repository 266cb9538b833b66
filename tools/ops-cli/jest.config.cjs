module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'ops-cli',
  rootDir: __dirname,
  // The e2e files drive the built CLI against built services (processes, job polling) — slow on a busy 2-core runner.
  testTimeout: 120_000,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/src/**/*.int-spec.ts', '<rootDir>/test/**/*.e2e-spec.ts'],
};
