import type { DoraDeployment } from './types.js';

/** A deployment with an outcome; pending and switched ones are still in flight and count nowhere. */
export const isFinished = (d: DoraDeployment): boolean => d.state === 'succeeded' || d.state === 'failed' || d.state === 'rolled-back';
