import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import jest from 'eslint-plugin-jest';

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', 'dist/', 'assets/', 'coverage/', '.stryker-tmp/', 'reports/', '**/*.js', '!bin/bluegreen.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    // Function bundles: classic zod costs ~85–95 KiB of every bundle that parses at run time even
    // tree-shaken (~444 KiB with `import { z }`); zod/mini with its English messages costs 17–29 KiB
    // (esbuild metafile of validate-input, on-approval, on-alarm; `npm run bench -- bundles`).
    files: ['lambdas/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{
          name: 'zod',
          allowTypeImports: true,
          message: "Use `import * as z from 'zod/mini'` in lambdas/: classic zod adds ~65 KiB more to every bundle that parses (about 93 KiB against 28 KiB for validate-input).",
        }],
        patterns: [{
          group: ['zod/*', '!zod/mini', '!zod/locales'],
          message: "Use `import * as z from 'zod/mini'` in lambdas/ (and `zod/locales` for the messages, already set in lambdas/shared/issues.ts): other zod entry points bundle classic zod.",
        }],
      }],
      'no-restricted-syntax': ['error', {
        selector: "ImportDeclaration[source.value='zod/mini'][importKind!='type'] > :matches(ImportSpecifier[imported.name='z'], ImportDefaultSpecifier)",
        message: "Use `import * as z from 'zod/mini'` in lambdas/: the named or default `z` bundles all of zod/mini with every locale (~418 KiB against ~9 KiB for one string schema).",
      }],
    },
  },
  {
    files: ['test/**/*.ts'],
    ...jest.configs['flat/recommended'],
    rules: {
      ...jest.configs['flat/recommended'].rules,
      'jest/no-focused-tests': 'error',
      'jest/no-disabled-tests': 'error',
      'jest/expect-expect': ['error', { assertFunctionNames: ['expect', 'expect*', 'assert*', 'template.has*'] }],
    },
  },
);
