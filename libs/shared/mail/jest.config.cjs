module.exports = {
  ...require('../../../jest.preset.cjs'),
  displayName: 'shared-mail',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/src/**/*.int-spec.ts'],
};
