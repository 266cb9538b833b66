module.exports = require('../build/webpack.node.cjs')('ops-cli', { projectRoot: 'tools/ops-cli', outputPath: 'dist/tools/ops-cli' });
