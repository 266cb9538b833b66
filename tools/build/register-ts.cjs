// `node -r tools/build/register-ts.cjs` (or require it first): loads the workspace's TypeScript as
// jest does — SWC with decorator metadata, the @keyhaven/* aliases of tsconfig.base.json — for
// scripts that need a service's modules without building it (tools/scripts/api-types.mjs).
const path = require('node:path');
const { addHook } = require('pirates');
const { transformSync } = require('@swc/core');
const tsconfigPaths = require('tsconfig-paths');
const swcTypeScript = require('./swc-typescript.cjs');

const root = path.resolve(__dirname, '../..');
const { compilerOptions } = require(path.join(root, 'tsconfig.base.json'));
tsconfigPaths.register({ baseUrl: root, paths: compilerOptions.paths });
addHook((code, filename) => transformSync(code, { ...swcTypeScript, filename }).code, { exts: ['.ts'] });
