import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

const infrastructureImports = [
  '@nestjs/*',
  'kafkajs',
  'typeorm',
  'pg',
  'ioredis',
  'redis',
  'prom-client',
  'fastify',
];

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/coverage/**',
      '.nx/**',
      'docs/**',
      '**/*.js',
      '**/*.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      eqeqeq: ['error', 'always'],
      curly: ['error', 'all'],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../../*'],
              message: 'Import another folder through its library entry point (@ward/<lib>).',
            },
          ],
        },
      ],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          banTransitiveDependencies: false,
          depConstraints: [
            {
              sourceTag: 'type:app',
              onlyDependOnLibsWithTags: [
                'type:domain',
                'type:util',
                'type:data-access',
                'type:testing',
              ],
            },
            {
              // The `ward` command line: run by people, not built into an image.
              sourceTag: 'type:tool',
              onlyDependOnLibsWithTags: [
                'type:domain',
                'type:util',
                'type:data-access',
                'type:testing',
              ],
            },
            {
              // data-access integration specs use the real-infrastructure harness in libs/testing.
              sourceTag: 'type:data-access',
              onlyDependOnLibsWithTags: [
                'type:data-access',
                'type:util',
                'type:domain',
                'type:testing',
              ],
            },
            {
              sourceTag: 'type:domain',
              onlyDependOnLibsWithTags: ['type:domain', 'type:util'],
              bannedExternalImports: infrastructureImports,
            },
            { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util'] },
            {
              sourceTag: 'type:e2e',
              onlyDependOnLibsWithTags: [
                'type:testing',
                'type:util',
                'type:data-access',
                'type:domain',
              ],
            },
            {
              sourceTag: 'type:testing',
              onlyDependOnLibsWithTags: [
                'type:domain',
                'type:util',
                'type:data-access',
                'type:testing',
              ],
            },
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:e2e', onlyDependOnLibsWithTags: ['scope:shared'] },
            {
              sourceTag: 'scope:sentinel-ingest',
              onlyDependOnLibsWithTags: ['scope:shared', 'scope:sentinel-ingest'],
            },
            {
              sourceTag: 'scope:behavioral-monitor',
              onlyDependOnLibsWithTags: ['scope:shared', 'scope:behavioral-monitor'],
            },
            {
              sourceTag: 'scope:fusion',
              onlyDependOnLibsWithTags: ['scope:shared', 'scope:fusion'],
            },
            {
              sourceTag: 'scope:response-engine',
              onlyDependOnLibsWithTags: ['scope:shared', 'scope:response-engine'],
            },
            {
              sourceTag: 'scope:policy-generator',
              onlyDependOnLibsWithTags: ['scope:shared', 'scope:policy-generator'],
            },
            { sourceTag: 'scope:cli', onlyDependOnLibsWithTags: ['scope:shared'] },
          ],
        },
      ],
    },
  },
  {
    // Decorated Nest classes need runtime imports for their constructor parameter
    // types (emitDecoratorMetadata), so type-only imports would break DI there.
    files: [
      'apps/**/*.ts',
      'libs/messaging/**/*.ts',
      'libs/observability/**/*.ts',
      'libs/persistence/**/*.ts',
      'libs/testing/**/*.ts',
    ],
    rules: { '@typescript-eslint/consistent-type-imports': 'off' },
  },
  {
    files: ['**/*.spec.ts', '**/*.int-spec.ts'],
    rules: {
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
