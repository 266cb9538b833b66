// SWC's options for our TypeScript: decorators with their metadata (Nest and MikroORM read it),
// CommonJS. Shared by jest (jest.preset.cjs) and scripts that load TypeScript directly (register-ts.cjs).
module.exports = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
    keepClassNames: true,
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};
