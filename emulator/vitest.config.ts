import { defineConfig } from 'vitest/config'

// `npm run test:contract`: the emulator's own contract suite (no app setup files).
export default defineConfig({
  test: {
    root: new URL('.', import.meta.url).pathname,
    include: ['tests/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
})
