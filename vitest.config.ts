import { configDefaults, defineConfig } from 'vitest/config';

const shared = { testTimeout: 60_000, hookTimeout: 60_000, pool: 'forks' } as const;

/**
 * Test files run two at a time by default (GANTRY_TEST_WORKERS to change it): most of a file's time
 * is spent waiting on the processes it starts (servers, agents, git, Chromium), so two side by side
 * take about half the time on a two-core machine. Files that share a machine-wide resource keep apart
 * by worker (test/support/deploy-fixture.ts basePort splits ports by VITEST_POOL_ID).
 */
const workers = Number(process.env.GANTRY_TEST_WORKERS ?? '2');

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
          maxWorkers: workers,
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
