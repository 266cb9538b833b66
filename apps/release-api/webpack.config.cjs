module.exports = require('../../tools/build/webpack.node.cjs')('release-api');
