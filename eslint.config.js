// Lint: type-aware rules that catch real bugs, and the import boundaries of docs/architecture.md (import
// loops and the 500-line rule are checked by tests/unit/structure.test.ts and emulator/tests/structure.test.ts).
// Style is prettier's job (.prettierrc.json); `npm run lint` runs both checks, `npm test` runs it first.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const boundary = (from, patterns) => ({
  files: from,
  rules: { 'no-restricted-imports': ['error', { patterns }] },
});

export default tseslint.config(
  { ignores: ['node_modules/**', 'build/**', 'public/build/**', '.cache/**', 'data/**', 'drizzle/**', 'tests/.artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx}'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-expressions': ['error', { allowShortCircuit: true, allowTernary: true }],
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['app', 'self'] }],
      // `void promise` marks a deliberate fire-and-forget; `void x;` to keep an unused name alive is not allowed.
      'no-restricted-syntax': [
        'error',
        {
          selector: "ExpressionStatement > UnaryExpression[operator='void'] > Identifier",
          message: 'Delete unused names instead of `void x`.',
        },
      ],
    },
  },
  // The browser assets the emulator serves as they are (plain scripts, no modules).
  // (browser globals are not declared one by one: `no-undef` is TypeScript's job elsewhere and off here).
  {
    files: ['emulator/src/browser/assets/**/*.js'],
    languageOptions: { sourceType: 'script' },
    rules: {
      'no-undef': 'off',
      '@typescript-eslint/no-this-alias': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { args: 'none' }],
    },
  },
  boundary(
    ['app/routes/**'],
    [
      {
        group: ['~/db', '~/db/*', '~/stripe', '~/stripe/*', '**/db/*', '**/stripe/client*'],
        message: 'Routes call app/billing (docs/architecture.md): no ~/db or ~/stripe.',
      },
    ],
  ),
  boundary(
    ['emulator/**'],
    [{ group: ['~/*', '**/app/*', '../app/*', '../../app/*'], message: 'The emulator is a separate program: it never imports app/.' }],
  ),
  boundary(['scripts/**'], [{ group: ['**/tests/*', '../tests/*'], message: 'scripts/ never imports tests/.' }]),
);
