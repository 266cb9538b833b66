// Unit tests of the page's pure logic (error messages, formatting, step-up retry). The page
// itself is tested in a real browser by apps/keyhaven-e2e/src/account-web.e2e-spec.ts.
module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'account-web',
  rootDir: __dirname,
  // Pure logic: no database to start.
  globalSetup: undefined,
  globalTeardown: undefined,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
