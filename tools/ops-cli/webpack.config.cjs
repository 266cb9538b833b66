const { BannerPlugin } = require('webpack');

const config = require('../build/webpack.node.cjs')('ops-cli', { projectRoot: 'tools/ops-cli', outputPath: 'dist/tools/ops-cli' });

// `keyhaven-ops` is run directly (`chmod +x`, or an npm bin link): the bundle starts with a shebang.
config.plugins = [...(config.plugins ?? []), new BannerPlugin({ banner: '#!/usr/bin/env node', raw: true, entryOnly: true })];

module.exports = config;
