import { afterAll, beforeAll } from 'vitest';
import { startKubeStandin, type KubeStandin, type KubeStandinOptions, type StandinControllers } from './standin.js';
import type { Controllers } from './controllers/index.js';

/**
 * One stand-in for a whole test file (or describe block): started in beforeAll, stopped in
 * afterAll. Read it inside tests (`standin()`), not at collection time.
 */
export function useKubeStandin<C extends StandinControllers = Controllers>(options: KubeStandinOptions<C> = {}): () => KubeStandin<C> {
  let standin: KubeStandin<C> | undefined;
  beforeAll(async () => {
    standin = await startKubeStandin(options);
  });
  afterAll(async () => {
    await standin?.stop();
  });
  return () => {
    if (!standin) throw new Error('the Kubernetes stand-in is not started: call standin() inside a test, after beforeAll');
    return standin;
  };
}
