'use strict';
// dist/apps/<service>/main.js: runs the service's bundle (BUNDLE, set at build time, named by
// its content hash) through V8's code cache. The bundle is one ~12 MB file; compiling it is most
// of a boot. After the first boot has served, the compiled code is written beside the bundle
// (`<bundle>.<node version>.v8-cache`) and later boots start from it — about half the CPU time
// of a boot. The cache is an optimisation only: when it is missing, rejected by V8 (another
// Node version or flags), or the folder is read-only, the bundle is compiled as usual.
const { readFileSync, renameSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const Module = require('node:module');
const vm = require('node:vm');

const BUNDLE = '__KEYHAVEN_BUNDLE__';
const file = join(__dirname, BUNDLE);
// The bundle's name carries its content hash, so a cache never meets other code than its own.
const cacheFile = `${file}.${process.version}.v8-cache`;

let cachedData;
try {
  cachedData = readFileSync(cacheFile);
} catch {
  cachedData = undefined;
}
const script = new vm.Script(Module.wrap(readFileSync(file, 'utf8')), {
  filename: file,
  cachedData,
  importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
});

if (!cachedData || script.cachedDataRejected) {
  // Called by the boot sequence once the service listens: by then V8 has compiled what a boot
  // runs, and the cache holds that too.
  globalThis[Symbol.for('keyhaven.saveCodeCache')] = () => {
    try {
      const temporary = `${cacheFile}.${process.pid}`;
      writeFileSync(temporary, script.createCachedData());
      renameSync(temporary, cacheFile);
    } catch {
      // a read-only install: boots just compile the bundle
    }
  };
}

// What Node's CommonJS loader does for a file, with our compiled script.
const bundle = new Module(file, module);
bundle.filename = file;
bundle.paths = Module._nodeModulePaths(__dirname);
const localRequire = (id) => bundle.require(id);
localRequire.resolve = (request, options) => Module._resolveFilename(request, bundle, false, options);
localRequire.cache = Module._cache;
localRequire.main = require.main;
script.runInThisContext()(bundle.exports, localRequire, bundle, file, __dirname);
