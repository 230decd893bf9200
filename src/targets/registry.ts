import type { Target } from './target.js';

/** Finds the target an environment names in gantry.yaml (starting its agent when needed). */
export interface TargetRegistry {
  get(name: string): Promise<Target>;
}
