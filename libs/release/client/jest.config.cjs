module.exports = {
  ...require('../../../jest.preset.cjs'),
  displayName: 'release-client',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/src/**/*.int-spec.ts'],
};
