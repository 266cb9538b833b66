module.exports = {
  ...require('../../../jest.preset.cjs'),
  displayName: 'shared-auth-guard',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/src/**/*.int-spec.ts'],
};
