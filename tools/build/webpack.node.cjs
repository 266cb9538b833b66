// Bundles one service (or tool) into dist/apps/<name>/main.js, runnable with plain `node`.
// Workspace libs (@keyhaven/*) are bundled; packages from node_modules stay external.
const path = require('node:path');
const nodeExternals = require('webpack-node-externals');

const root = path.resolve(__dirname, '../..');

/** The `@keyhaven/*` aliases of tsconfig.base.json, as webpack aliases (one source of truth). */
function workspaceAliases() {
  const { paths } = require(path.join(root, 'tsconfig.base.json')).compilerOptions;
  return Object.fromEntries(Object.entries(paths).map(([name, [target]]) => [`${name}$`, path.join(root, target)]));
}

module.exports = function nodeServiceConfig(name, extra = {}) {
  const projectRoot = path.join(root, extra.projectRoot ?? path.join('apps', name));
  return {
    mode: 'production',
    target: 'node20',
    context: root,
    entry: { main: path.join(projectRoot, 'src/main.ts'), ...(extra.entry ?? {}) },
    output: {
      path: path.join(root, extra.outputPath ?? path.join('dist/apps', name)),
      filename: '[name].js',
      clean: true,
    },
    devtool: 'source-map',
    optimization: { minimize: false, nodeEnv: false },
    externalsPresets: { node: true },
    externals: [nodeExternals({ modulesDir: path.join(root, 'node_modules') })],
    resolve: {
      extensions: ['.ts', '.js', '.json'],
      alias: workspaceAliases(),
    },
    module: {
      rules: [
        {
          test: /\.ts$/,
          loader: 'ts-loader',
          exclude: /node_modules/,
          options: { configFile: path.join(projectRoot, 'tsconfig.app.json'), transpileOnly: true },
        },
      ],
    },
    // MikroORM and Nest load optional peers lazily; those that are absent are not errors.
    ignoreWarnings: [/Critical dependency/, /Can't resolve '(@nestjs\/microservices|@nestjs\/websockets|class-transformer\/storage)/],
    stats: 'errors-warnings',
  };
};
