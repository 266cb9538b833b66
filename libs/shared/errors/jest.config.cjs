module.exports = {
  ...require('../../../jest.preset.cjs'),
  displayName: 'shared-errors',
  rootDir: __dirname,
  // Unit tests only: no database to start.
  globalSetup: undefined,
  globalTeardown: undefined,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/src/**/*.int-spec.ts'],
};
