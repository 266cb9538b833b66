module.exports = {
  ...require('../../../jest.preset.cjs'),
  displayName: 'release-maintenance',
  rootDir: __dirname,
  // Pure domain logic: no database to start.
  globalSetup: undefined,
  globalTeardown: undefined,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
