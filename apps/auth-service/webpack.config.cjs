module.exports = require('../../tools/build/webpack.node.cjs')('auth-service');
