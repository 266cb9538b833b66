module.exports = {
  ...require('../../../jest.preset.cjs'),
  displayName: 'shared-jobs',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/src/**/*.int-spec.ts'],
};
