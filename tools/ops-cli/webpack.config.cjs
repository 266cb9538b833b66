const { BannerPlugin } = require('webpack');

// A CLI runs once per command: no code-cache loader, the bundle is main.js itself.
const config = require('../build/webpack.node.cjs')('ops-cli', { projectRoot: 'tools/ops-cli', outputPath: 'dist/tools/ops-cli', codeCache: false });

// `keyhaven-ops` is run directly (`chmod +x`, or an npm bin link): the bundle starts with a shebang.
config.plugins = [...(config.plugins ?? []), new BannerPlugin({ banner: '#!/usr/bin/env node', raw: true, entryOnly: true })];

module.exports = config;
