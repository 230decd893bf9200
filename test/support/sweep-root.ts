/** Names the secret sweep's root for the whole run (set by test/support/sweep-global-setup.ts); see sweep.ts. */
export const SWEEP_ROOT_ENV = 'GANTRY_TEST_SWEEP_ROOT';

export const sweepRoot = (): string | undefined => process.env[SWEEP_ROOT_ENV] || undefined;
