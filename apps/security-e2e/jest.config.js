module.exports = require('../../jest.preset.js').projectConfig({ dir: __dirname, kind: 'unit' });
