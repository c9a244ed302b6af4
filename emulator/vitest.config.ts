import { configDefaults, defineConfig } from 'vitest/config';

// `npm run test:contract`: the emulator's own suites (no app setup files). Browser flows
// (`*.e2e.test.ts`, Chromium) are excluded here as in the root config; run them with
// `npx vitest run --config emulator/vitest.config.ts --exclude '' tests/browser` or the e2e runner.
export default defineConfig({
  test: {
    root: new URL('.', import.meta.url).pathname,
    include: ['tests/**/*.test.ts'],
    exclude: [...configDefaults.exclude, '**/*.e2e.test.ts'],
    pool: 'forks',
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
