// The fault tests (`npm run test:faults`): the whole mesh against a broker and
// a Redis of their own, which they stop, restart and kill while a scenario
// flows. One file, run alone, long timeouts: they wait on conditions, and a
// broker restart takes tens of seconds.
const { projectConfig } = require('../../jest.preset.js');

module.exports = {
  ...projectConfig({ dir: __dirname, kind: 'unit' }),
  displayName: 'apps/faults (faults)',
  testMatch: ['<rootDir>/**/*.fault-spec.ts'],
  testTimeout: 900_000,
  maxWorkers: 1,
};
