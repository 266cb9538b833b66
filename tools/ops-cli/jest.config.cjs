module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'ops-cli',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/src/**/*.int-spec.ts', '<rootDir>/test/**/*.e2e-spec.ts'],
};
