// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'coverage/', 'reports/', '.build/', '.scratch/', 'dist/', 'examples/dbos-subject/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  ...tseslint.configs.stylisticTypeChecked,
  { languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } } },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Read time from an injected Clock.' },
        // Test files share a worker process (vitest.config.ts, isolate: false): a module another file imported first
        // is never mocked. Pass the dependency in instead.
        { object: 'vi', property: 'mock', message: 'Test files share their process: pass the dependency in instead.' },
        {
          object: 'vi',
          property: 'doMock',
          message: 'Test files share their process: pass the dependency in instead.',
        },
      ],
      // Numbers, booleans and null in messages and SQL read as intended; objects and unknowns are still refused.
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true, allowNullish: true, allowRegExp: true },
      ],
      // With noUncheckedIndexedAccess, `xs[i]!` after a bounds check is the honest way to say "present"; kept.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // `() => void sideEffect()` shorthands in callbacks are clear.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // A function may be async to meet an async interface (a bench subject, an injector's setup) without awaiting.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unnecessary-condition': ['error', { allowConstantLoopConditions: true }],
    },
  },
  {
    files: ['src/clock.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
  { files: ['eslint.config.js'], ...tseslint.configs.disableTypeChecked },
  // The examples are shown verbatim in the README: written for a reader, not for the strictest lint.
  {
    files: ['examples/**'],
    rules: {
      '@typescript-eslint/no-unnecessary-type-conversion': 'off',
      '@typescript-eslint/non-nullable-type-assertion-style': 'off',
    },
  },
);
