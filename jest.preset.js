// Shared Jest settings. @swc/jest keeps decorator metadata (Nest's DI needs it)
// and is an order of magnitude faster than ts-jest; type checking is the
// separate `typecheck` target.
const path = require('node:path');
const { compilerOptions } = require('./tsconfig.base.json');

const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [
    `^${alias.replace('/', '\\/')}$`,
    path.join(__dirname, target),
  ]),
);

const swcTransform = [
  '@swc/jest',
  {
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

/** @param {{ dir: string, kind: 'unit' | 'int' }} opts */
function projectConfig({ dir, kind }) {
  const isInt = kind === 'int';
  return {
    displayName: `${path.relative(__dirname, dir)}${isInt ? ' (int)' : ''}`,
    rootDir: dir,
    testEnvironment: 'node',
    // content-disposition (via @fastify/static, Swagger UI) ships ESM only; Jest's
    // CommonJS runtime needs it compiled like our own sources.
    transform: { '^.+\\.(ts|js)$': swcTransform },
    transformIgnorePatterns: ['/node_modules/(?!content-disposition/)'],
    moduleFileExtensions: ['ts', 'js', 'json'],
    moduleNameMapper,
    testMatch: isInt ? ['<rootDir>/**/*.int-spec.ts'] : ['<rootDir>/**/*.spec.ts'],
    ...(isInt
      ? {
          globalSetup: path.join(__dirname, 'libs/testing/src/jest/global-setup.js'),
          testTimeout: 120_000,
          maxWorkers: 1,
        }
      : { testTimeout: 10_000 }),
  };
}

module.exports = { projectConfig, swcTransform, moduleNameMapper };
