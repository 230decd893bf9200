import { afterAll, beforeAll } from 'vitest';
import { startKubeStandin, type KubeStandin, type KubeStandinOptions } from './standin.js';

/**
 * One stand-in for a whole test file (or describe block): started in beforeAll, stopped in
 * afterAll. Read it inside tests (`standin()`), not at collection time.
 */
export function useKubeStandin(options: KubeStandinOptions = {}): () => KubeStandin {
  let standin: KubeStandin | undefined;
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
