// Lint: a few type-aware rules that catch real bugs, and the boundaries of docs/architecture.md.
// Style is prettier's job (.prettierrc.json); `npm run lint` runs both checks, `npm test` runs it first.
import js from '@eslint/js';
import importX from 'eslint-plugin-import-x';
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
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver': { typescript: true, node: true } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-expressions': ['error', { allowShortCircuit: true, allowTernary: true }],
      'no-void': ['error', { allowAsStatement: false }],
    },
  },
  // The browser assets the emulator serves as they are (plain scripts, no modules).
  { files: ['emulator/src/browser/assets/**/*.js'], languageOptions: { sourceType: 'script', globals: { window: 'readonly', document: 'readonly', console: 'readonly' } } },
  boundary(['app/routes/**'], [{ group: ['~/db', '~/db/*', '~/stripe', '~/stripe/*', '**/db/*', '**/stripe/client*'], message: 'Routes call app/billing (docs/architecture.md): no ~/db or ~/stripe.' }]),
  boundary(['emulator/**'], [{ group: ['~/*', '**/app/*', '../app/*', '../../app/*'], message: 'The emulator is a separate program: it never imports app/.' }]),
  boundary(['scripts/**'], [{ group: ['**/tests/*', '../tests/*'], message: 'scripts/ never imports tests/.' }]),
);
