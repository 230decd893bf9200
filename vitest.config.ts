import { configDefaults, defineConfig } from 'vitest/config';

const shared = { testTimeout: 60_000, hookTimeout: 60_000, pool: 'forks' } as const;

export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    // Once per run, in this process: the secret sweep's root, removed again at the end (test/support/sweep.ts).
    globalSetup: ['./test/support/sweep-global-setup.ts'],
    projects: [
      {
        test: {
          ...shared,
          name: 'main',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/sweep/**'],
          setupFiles: ['./test/support/sweep-setup.ts'],
        },
      },
      {
        // The global secret sweep searches what every other test left: vitest runs groups from the
        // lowest groupOrder up, each after the one before has finished.
        test: { ...shared, name: 'sweep', include: ['test/sweep/**/*.test.ts'], sequence: { groupOrder: 1 } },
      },
    ],
  },
});
