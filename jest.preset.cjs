// Shared jest settings for every project: SWC transforms (decorator metadata on, for Nest and
// MikroORM), the @keyhaven/* aliases of tsconfig.base.json, and the database global setup.
const path = require('node:path');
const { compilerOptions } = require('./tsconfig.base.json');

const swcTypeScript = require('./tools/build/swc-typescript.cjs');

module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['@swc/jest', swcTypeScript],
    // otplib 13 depends on ESM-only @scure/* and @noble/* packages.
    '^.+\\.m?js$': ['@swc/jest', { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(@scure|@noble|otplib|@otplib)/)'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  moduleNameMapper: Object.fromEntries(Object.entries(compilerOptions.paths).map(([alias, [target]]) => [`^${alias}$`, path.join(__dirname, target)])),
  globalSetup: path.join(__dirname, 'libs/shared/testing/src/global-setup.ts'),
  globalTeardown: path.join(__dirname, 'libs/shared/testing/src/global-teardown.ts'),
  testTimeout: 30_000,
  reporters: ['default', path.join(__dirname, 'tools/build/jest-totals-reporter.cjs')],
};
