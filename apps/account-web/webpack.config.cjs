// Bundles the account page into dist/apps/account-web: index.html, app.js (TypeScript and
// @simplewebauthn/browser) and styles.css. No inline script or style anywhere, so auth-service
// can serve the page under a Content-Security-Policy without 'unsafe-inline' (auth-service serves it: apps/auth-service/src/account-web/).
const path = require('node:path');
const fs = require('node:fs');
const { sources, SourceMapDevToolPlugin } = require('webpack');

const root = path.resolve(__dirname, '../..');
const src = path.join(__dirname, 'src');

/** Copies the static files next to the bundle (no extra loader packages needed for two files). */
class StaticFilesPlugin {
  constructor(files) {
    this.files = files;
  }

  apply(compiler) {
    compiler.hooks.thisCompilation.tap('StaticFilesPlugin', (compilation) => {
      compilation.hooks.processAssets.tap({ name: 'StaticFilesPlugin', stage: compiler.webpack.Compilation.PROCESS_ASSETS_STAGE_ADDITIONAL }, () => {
        for (const file of this.files) {
          const from = path.join(src, file);
          compilation.fileDependencies.add(from);
          compilation.emitAsset(file, new sources.RawSource(fs.readFileSync(from)));
        }
      });
    });
  }
}

module.exports = {
  mode: 'production',
  target: 'web',
  context: root,
  entry: { app: path.join(src, 'main.ts') },
  output: {
    path: path.join(root, 'dist/apps/account-web'),
    filename: '[name].js',
    clean: true,
  },
  // A separate .map file for app.js only (`eval` source maps would need 'unsafe-eval' in the CSP),
  // with no sourceMappingURL comment: auth-service does not serve *.map (account-web.static.ts).
  devtool: false,
  resolve: { extensions: ['.ts', '.js'] },
  module: {
    rules: [
      {
        test: /\.ts$/,
        loader: 'ts-loader',
        exclude: /node_modules/,
        options: { configFile: path.join(__dirname, 'tsconfig.app.json'), transpileOnly: true },
      },
    ],
  },
  plugins: [
    new StaticFilesPlugin(['index.html', 'styles.css', 'favicon.svg']),
    new SourceMapDevToolPlugin({ test: /\.js$/, filename: '[file].map', append: false }),
  ],
  performance: { hints: false },
  stats: 'errors-warnings',
};
